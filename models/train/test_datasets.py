"""Loader quirks, on small inline files: run by test/training/loaders.test.ts (python3 -m unittest)."""
import tempfile
import unittest
from pathlib import Path

from nerve_train import datasets, unlabeled


def load(text: str):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.txt"
        p.write_text(text, encoding="utf-8")
        return datasets.read_conll(p)


class LoaderQuirks(unittest.TestCase):
    def test_tab_columns_and_tab_only_separators(self):  # WNUT-17 train
        docs = load("Hi\tO\nPeter\tB-person\n\t\nBonn\tB-location\n")
        self.assertEqual([s.tokens for s in datasets.sentences(docs)], [["Hi", "Peter"], ["Bonn"]])

    def test_bom_and_missing_final_newline(self):  # WNUT-17 dev, MIT Restaurant
        docs = load("\ufeffcheap B-Price\nDub\ufeffbz B-person\n\nthai B-Cuisine")
        sents = datasets.sentences(docs)
        self.assertEqual(sents[0].tokens, ["cheap", "Dubbz"])
        self.assertEqual(sents[1].tags, ["B-Cuisine"])

    def test_docstart_breaks_documents(self):  # CoNLL-2003
        docs = load("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n\n-DOCSTART- -X- -X- O\n\nBonn NNP B-NP B-LOC\n")
        self.assertEqual(len(docs), 2)
        self.assertEqual(docs[1].sentences[0].tokens, ["Bonn"])

    def test_iob1_and_io_become_iob2(self):
        self.assertEqual(datasets.to_iob2(["I-PER", "I-PER", "B-PER", "O", "I-LOC"]), ["B-PER", "I-PER", "B-PER", "O", "B-LOC"])
        self.assertEqual(datasets.to_iob2(["I-ORG", "I-LOC"]), ["B-ORG", "B-LOC"])

    def test_unknown_tag_is_refused(self):
        with self.assertRaises(ValueError):
            datasets.to_iob2(["X-PER"])


class UnlabeledSources(unittest.TestCase):
    def test_articles_jsonl_by_file_or_folder(self):  # slate/articles.jsonl
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "articles.jsonl"
            p.write_text('{"id": "1/a", "title": "OPEC", "text": "OPEC meets\\n\\nIn Vienna, it said."}\n\n', encoding="utf-8")
            self.assertEqual(list(unlabeled.stories(p)), [["OPEC", "meets", "In", "Vienna", ",", "it", "said", "."]])
            self.assertEqual(list(unlabeled.stories(d)), list(unlabeled.stories(p)))

    def test_anything_else_is_refused_by_name(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(SystemExit, "neither a Reuters-21578 folder"):
                list(unlabeled.stories(d))
            bad = Path(d) / "articles.jsonl"
            bad.write_text("{not json\n", encoding="utf-8")
            with self.assertRaisesRegex(SystemExit, "articles.jsonl:1"):
                list(unlabeled.stories(bad))


if __name__ == "__main__":
    unittest.main()
