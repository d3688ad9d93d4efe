"""The texts the goldens cover: invented news sentences (so they may live in the repository),
the same in lower case, Unicode of every kind the engine meets, and paragraphs longer than
the models' window, where the pipeline's stride matters."""

NEWS = [
    'Angela Merkel met Siemens executives in Munich on Tuesday.',
    'Peter Blackburn of the European Commission spoke in Brussels.',
    'Shares of Toyota Motor Corp rose 3 percent in Tokyo after the results.',
    'The United Nations said on Friday that aid had reached Sudan.',
    'Boris Yeltsin flew to Paris to meet Jacques Chirac.',
    'Manchester United beat Arsenal 2-1 at Old Trafford on Sunday.',
    'Reuters reported that Exxon would cut 400 jobs in Texas.',
    'German Chancellor Helmut Kohl told reporters in Bonn that talks would go on.',
    'The Bank of England left interest rates unchanged.',
    'Wall Street analysts expect General Motors to report a loss.',
    'President Bill Clinton signed the bill at the White House.',
    'Kenya\'s Daniel Komen won the 5,000 metres in Zurich.',
    'Microsoft and Intel announced a joint venture in California.',
    'Police in Sri Lanka arrested three men near Colombo.',
    'The Dutch airline KLM will fly daily from Amsterdam to Shanghai.',
    'Opposition leader Benazir Bhutto returned to Karachi.',
    'Iraq rejected the proposal, the official INA news agency said.',
    'Brazilian striker Ronaldo signed for Barcelona.',
    'Nelson Mandela received the delegation in Pretoria.',
    'Oil prices fell in London as OPEC ministers met in Vienna.',
    'Sampras beat Agassi in the final of the U.S. Open.',
    'The Australian dollar closed higher in Sydney.',
    'NATO troops left Bosnia after the Dayton agreement.',
    'Volkswagen AG said it would build a plant in Mexico.',
    'Japanese Prime Minister Ryutaro Hashimoto visited Washington.',
    'The Frankfurt bourse opened lower on Monday.',
    'Chelsea manager Ruud Gullit praised his French defenders.',
    'Hong Kong\'s Hang Seng index gained 1.2 percent.',
    'Israel and the Palestinians resumed talks in Jerusalem.',
    'A spokesman for Deutsche Telekom declined to comment.',
    'Yasser Arafat will travel to Cairo next week.',
    'The European Union banned British beef exports.',
    'Tennis star Steffi Graf withdrew from Wimbledon.',
    'Canada\'s Bre-X Minerals said its Indonesian find was real.',
    'Dow Jones industrial average hit a record in New York.',
    'The World Bank lent Poland $ 300 million.',
]

UNICODE = [
    'José Müller met Zoë Ørsted in Zürich and São Paulo.',
    'Владимир Путин прибыл в Москву, сообщил Кремль.',
    '東京で安倍晋三首相が会見した。Toyota agreed.',
    'Angela Merkel 👩‍🔬 visited Paris 🇫🇷 with Emmanuel Macron 😀.',
    '“Apple Inc.” and ‘Microsoft’ sued each other in Seattle…',
    'Cafe\u0301 owner Ame\u0301lie Poulain opened a shop in Montre\u0301al.',
    'Berlin\n\nBonn\tParis  and   London are capitals.',
    'Ελληνική Δημοκρατία and Αθήνα hosted the Olympic Games.',
    'The 𝐁𝐨𝐥𝐝 company 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 moved to Köln.',
    'Zero\u200bwidth and soft\u00adhyphen in Düsseldorf (Nordrhein-Westfalen).',
]


def long_texts():
    """Paragraphs of many windows each; the last one has no sentence break at all."""
    paragraph = ' '.join(NEWS[:24])
    return [
        ' '.join(NEWS[:8]),
        paragraph,
        '\n\n'.join([' '.join(NEWS[24:]), ' '.join(UNICODE[:5]), ' '.join(NEWS[8:16])]),
        ' '.join(w for s in NEWS[:12] for w in s.rstrip('.').split()) + ' ' + 'Merkel ' * 40 + 'Siemens AG.',
    ]


def golden_texts():
    lower = [s.lower() for s in NEWS[:10]]
    return NEWS + lower + UNICODE + long_texts() + ['', '   ', 'Munich', 'x' * 200]
