"""Word tokenization for MinHash, the way ``nltk.word_tokenize`` does it, with no NLTK data download.

``nltk.word_tokenize`` splits a text into sentences with a trained Punkt model (the
``punkt_tab`` data package, downloaded separately) and each sentence into words with
NLTK's Treebank-style tokenizer. The sentence split matters for words: the tokenizer
only detaches a period at the end of a sentence, so ``"home. Then"`` gives ``home``,
``.``, ``Then`` only once ``home.`` is known to end a sentence.

Here the Punkt sentence splitter runs on parameters built in this package: a list of
common English abbreviations (so ``"Dr. Smith"`` or ``"e.g. this"`` are not sentence
ends). Punkt's other learned statistics (collocations, sentence starters) are left
empty, so a period after a word not in the list ends a sentence.
"""

import threading
from typing import Any, Iterable, List, Set

# fmt: off
_ABBREVIATIONS = (
    # titles and names
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "rev", "hon", "gen", "col", "capt", "lt", "sgt",
    "gov", "sen", "rep", "pres", "supt", "messrs",
    # Latin and common short forms
    "e.g", "i.e", "etc", "vs", "cf", "al", "approx", "ca", "viz", "n.b", "p.s", "a.k.a",
    # places and organisations
    "u.s", "u.s.a", "u.k", "e.u", "u.n", "inc", "ltd", "co", "corp", "dept", "univ", "assn", "bros",
    "ave", "blvd", "rd", "mt", "ft",
    # time
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun", "a.m", "p.m",
    # measures, references and numbering
    "no", "nos", "vol", "vols", "p", "pp", "ch", "fig", "figs", "eq", "eqs", "ed", "eds", "est",
    "min", "max", "avg", "dia", "sq", "lb", "lbs", "oz", "pt", "qt", "yd", "mi", "km", "kg",
)
# fmt: on

_lock = threading.Lock()
_tokenizers: List[Any] = []


def _sentence_and_word_tokenizers() -> Any:
    """The Punkt splitter and the Treebank word tokenizer, built once per process."""
    with _lock:
        if not _tokenizers:
            from nltk.tokenize import NLTKWordTokenizer
            from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

            parameters = PunktParameters()
            parameters.abbrev_types = set(_ABBREVIATIONS)
            _tokenizers.extend([PunktSentenceTokenizer(parameters), NLTKWordTokenizer()])
        return _tokenizers


def word_tokenize(text: str) -> List[str]:
    """The words and punctuation of ``text``: sentences by Punkt, then NLTK's Treebank-style tokenizer.

    Examples:
        >>> word_tokenize("Dr. Smith isn't home. He left.")
        ['Dr.', 'Smith', 'is', "n't", 'home', '.', 'He', 'left', '.']
    """
    sentences, words = _sentence_and_word_tokenizers()
    return [token for sentence in sentences.tokenize(text) for token in words.tokenize(sentence)]


def tokenize_on_words(texts: Iterable[str]) -> List[Set[bytes]]:
    """For each text, the set of its words (``word_tokenize``) as UTF-8 bytes."""
    return [{word.encode("utf-8") for word in word_tokenize(text)} for text in texts]


def tokenize_on_ngrams(texts: Iterable[str], n: int = 1) -> List[Set[bytes]]:
    """For each text, the set of its character n-grams of length ``n`` as UTF-8 bytes.

    A text shorter than ``n`` has no n-gram: its set is empty.
    """
    return [{text[i : i + n].encode("utf-8") for i in range(len(text) - n + 1)} for text in texts]
