"""The reply parser: what a resident or a volunteer meant by an SMS.

`parse_reply` is a pure function from a reply and the sender's language to an `Intent`. Residents answer
"Reply 1 if you are well, 2 if you have fever or cough, 3 if you need help." in many ways ("１", "ok",
"好", "38度5", "101F", "求助 买药", "没有发烧"), so the parser is generous:

1. normalise: NFKC (full-width → ASCII), casefold, straight apostrophes, one space between words;
2. whole-message words: stop ("STOP", "退订"), start ("START", "订阅"); then an auto-responder's text
   ("自动回复", "out of office") anywhere in the message: a machine answered, nobody is to be answered back;
3. a volunteer's "DONE 12" / "完成12号"; "ACCEPT 12" / "接 12", "DECLINE 12" / "不接 12" and "PAUSE" / "暂停" (the whole
   message); a sign-up, "JOIN volunteer grid 3 errands" / "报名 志愿者 第3网格 跑腿" (its text: what follows the
   words); "RESUME" / "恢复" is a start word, which `kit.volunteer_replies` reads as back on duty from a volunteer;
4. otherwise read the menu digit, the keywords (with negation) and a temperature, and decide:
   help beats unwell beats well; nothing recognised is unknown.

Words live in `data/keywords/<language>.toml`, one file per language; see the comments at the top of
`zh.toml` for how they are used. Every table is tried: the sender's language only wins when two tables
disagree about the same phrase.

Decisions
- The parser is linear in the length of the reply (a provider may deliver a concatenated SMS of thousands of
  characters): every regex is either anchored or scans forward once, and the code around a number looks only at
  its neighbourhood, never at the whole text before or after it. `tests/bench/bench_parser.py` prints the figure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from data import names_in, read_toml
from kit.health import FEVER_C, SYMPTOMS
from kit.jsonable import record_dict
from kit.plaintext import without_controls
from sms import need_words, volunteer_words
from sms.temperatures import arabic_numerals, temperature_in

IntentKind = Literal[
    "well", "unwell", "help", "stop", "start", "done", "auto_reply", "join", "accept", "decline", "pause", "unknown"
]


REQUIRED_KEYS = ("well", "unwell", "fever", "cough", "breathing", "help", "negations", "stop", "start", "done")
OPTIONAL_KEYS: tuple[str, ...] = ("needs", "absence", "ignore", "breaks", "joiners", "counters", "labels", "auto_reply")
OPTIONAL_KEYS += ("join", "accept", "decline", "pause")  # a volunteer's sign-up and answers to a task
OPTIONAL_KEYS += ("need_signs",)  # a need in a reply nothing else was understood in (sms.need_words)
NEGATION_REACH = 3  # words (or Chinese characters) allowed between a negation and what it negates

# Keyword categories found by the scan, in the order a phrase listed twice in one table is read.
_SCANNED = ("ignore", "breaks", "negations", "absence", "help", "needs", *SYMPTOMS, "unwell", "well")
_MENU_NUMERALS = {"一": "1", "二": "2", "两": "2", "三": "3"}
_QUOTES = str.maketrans({"‘": "'", "’": "'", "`": "'", "“": '"', "”": '"'})


@dataclass(frozen=True)
class Intent:
    """What a reply means."""

    kind: IntentKind
    temperature_c: float | None = None  # rounded to 1 decimal; Fahrenheit converted
    symptoms: tuple[str, ...] = ()  # subset of SYMPTOMS, in that order
    text: str = ""  # for help: what is needed; for join: what follows the words; otherwise ""
    task_number: int | None = None  # for done, accept, decline: the task number, None when not given

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return record_dict(self, rename={"kind": "intent"})


def known_languages() -> list[str]:
    """The languages that have a keyword table, e.g. ["en", "zh"]."""
    return list(_languages())


def keyword_table(language: str) -> dict[str, list[str]]:
    """The keyword table of `language`, normalised like replies; every required and optional key present."""
    return {key: list(phrases) for key, phrases in _table(language).items()}


def reload_keywords() -> None:
    """Forget the cached tables, e.g. after a community dropped a new language file in place."""
    for cached in (_languages, _table, _vocabulary):
        cached.cache_clear()


def parse_reply(text: str, language: str = "zh") -> Intent:
    """What `text`, a reply from someone whose language is `language`, means."""
    words = _vocabulary(_language_order(language))
    shown = _normalise(text)
    folded = shown.casefold()
    compact = _compact(folded)
    if not compact:
        return Intent("unknown")
    if compact in words.stop:
        return Intent("stop")
    if compact in words.start:
        return Intent("start")
    if words.auto_reply.search(folded):
        return Intent("auto_reply")
    done = words.done.match(folded) or words.done_after.match(folded)
    if done:
        number = done.group("number")
        return Intent("done", task_number=int(number) if number else None)
    said = volunteer_words.read(folded, words.answers, words.join)
    if said is not None:
        rest = _trim((shown if len(shown) == len(folded) else folded)[said.rest :]) if said.rest is not None else ""
        return Intent(said.kind, task_number=said.task_number, text=rest)

    menu = _menu_choice(folded, words)
    choice = menu[0] if menu else None
    hits = _scan(folded, words)
    temperature = temperature_in(arabic_numerals(folded), words)
    symptoms = {hit.category for hit in hits if hit.category in SYMPTOMS and not hit.negated}
    if temperature is not None and temperature >= FEVER_C:
        symptoms.add("fever")
    wants_help = choice == "3" or any(hit.category in ("help", "needs") and not hit.negated for hit in hits)
    unwell = (
        choice == "2"
        or bool(symptoms)
        or any(hit.category == "unwell" and not hit.negated for hit in hits)
        or any(hit.category == "well" and hit.negated for hit in hits)
    )
    well = (
        choice == "1"
        or temperature is not None
        or any(hit.category == "well" and not hit.negated for hit in hits)
        or any(hit.category in (*SYMPTOMS, "unwell", "help", "needs") and hit.negated for hit in hits)
    )
    kind: IntentKind = "help" if wants_help else "unwell" if unwell else "well" if well else "unknown"
    if kind == "unknown":
        ends = [hit.end for hit in hits if hit.category in ("negations", "absence")]
        if need_words.found(folded, words.need_signs, ends, _reaches):
            return Intent("help", text=_help_text(shown, folded, None, []))  # the whole reply is the need
        return Intent("unknown")
    return Intent(
        kind,
        temperature_c=temperature,
        symptoms=tuple(name for name in SYMPTOMS if name in symptoms),
        text=_help_text(shown, folded, menu, hits) if kind == "help" else "",
    )


def read_temperature(text: str, language: str = "zh") -> float | None:
    """The body temperature in `text` ("38.5", "38度5", "三十八度五", "101F"), in °C rounded to 1 decimal, read as a
    reply's is; None when it holds none in the body range (`kit.health`). For temperatures typed by an operator."""
    return temperature_in(arabic_numerals(_normalise(text).casefold()), _vocabulary(_language_order(language)))


# --- keyword tables ---------------------------------------------------------------------------------


class _Words(NamedTuple):
    categories: dict[str, str]  # phrase -> category
    phrases: re.Pattern[str]  # every scanned phrase, longest first
    counters: re.Pattern[str]  # after a number: not a temperature
    labels: re.Pattern[str]  # before a number: not a temperature
    joiners: frozenset[str]
    stop: frozenset[str]
    start: frozenset[str]
    done: re.Pattern[str]  # "done 12", "完成12号", "done"
    done_after: re.Pattern[str]  # "12 done", "任务12完成"
    auto_reply: re.Pattern[str]  # "auto-reply", "自动回复": a machine answered, not a person
    answers: re.Pattern[str]  # "accept 12", "不接 12", "pause": the whole message
    join: re.Pattern[str]  # "join ...", "报名 志愿者 ...": a sign-up and what follows it
    reach: int  # the longest label or counter: how far a number's neighbourhood goes
    need_signs: re.Pattern[str]  # a need in a reply nothing else was understood in


@lru_cache(maxsize=8)
def _languages() -> tuple[str, ...]:
    return tuple(name.removesuffix(".toml") for name in names_in("keywords") if name.endswith(".toml"))


@lru_cache(maxsize=32)
def _table(language: str) -> dict[str, tuple[str, ...]]:
    raw = read_toml("keywords", f"{language}.toml")
    missing = [key for key in REQUIRED_KEYS if key not in raw]
    if missing:
        raise ValueError(f"keywords/{language}.toml lacks {', '.join(missing)}")
    table: dict[str, tuple[str, ...]] = {}
    for key in REQUIRED_KEYS + OPTIONAL_KEYS:
        phrases = raw.get(key, [])
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise ValueError(f"keywords/{language}.toml: {key} must be a list of non-empty strings")
        table[key] = tuple(_normalise(phrase).casefold() for phrase in phrases)
    return table


def _language_order(language: str) -> tuple[str, ...]:
    known = _languages()
    asked = language.casefold().replace("_", "-")
    first = next((code for code in (asked, asked.split("-")[0]) if code in known), None)
    return tuple([first] if first else []) + tuple(code for code in known if code != first)


@lru_cache(maxsize=32)
def _vocabulary(order: tuple[str, ...]) -> _Words:
    tables = [_table(language) for language in order]
    categories: dict[str, str] = {}
    for table in tables:  # the sender's language first: its reading of a phrase wins
        for category in _SCANNED:
            for phrase in table[category]:
                categories.setdefault(phrase, category)

    def every(key: str) -> list[str]:
        return [phrase for table in tables for phrase in table[key]]

    done = _alternation(every("done"), whole_words=False)
    return _Words(
        categories=categories,
        phrases=re.compile(_alternation(categories)),
        counters=re.compile(_alternation(every("counters"))),
        labels=re.compile(rf"(?:{_alternation(every('labels'))})[\s#:.]*$"),
        joiners=frozenset(every("joiners")),
        stop=frozenset(_compact(phrase) for phrase in every("stop")),
        start=frozenset(_compact(phrase) for phrase in every("start")),
        done=re.compile(rf"^\W*(?:{done})(?![a-z])[\W_]*(?:(?:no|task|任务|第)\W*)?(?P<number>[0-9]{{1,6}})?(?![0-9])"),
        done_after=re.compile(
            rf"^\W*(?:(?:task|任务|第)\W*)?(?P<number>[0-9]{{1,6}})\s*号?\s*(?:任务)?\s*(?:{done})\W*$"
        ),
        auto_reply=re.compile(_alternation(every("auto_reply"))),
        answers=volunteer_words.answers_pattern(*(_alternation(every(key)) for key in ("accept", "decline", "pause"))),
        join=volunteer_words.join_pattern(every("join")),
        reach=max(map(len, every("labels") + every("counters")), default=0),
        need_signs=re.compile(_alternation(every("need_signs"))),
    )


def _alternation(phrases: Iterable[str], whole_words: bool = True) -> str:
    """A regex matching any of `phrases`, longest first; Latin-letter ends only match at word edges.

    Phrases that start with a Latin letter or digit share one word-edge test in front of their group, so that every
    branch starts with a literal the regex engine rejects at a glance: scanning stays cheap per character. Only one
    group can match at a position (its first character is a Latin letter or digit, or it is not), so the order
    between the groups changes nothing."""
    latin: list[str] = []
    other: list[str] = []
    for phrase in sorted(set(phrases), key=lambda p: (-len(p), p)):
        part = re.escape(phrase)
        if whole_words and phrase[-1].isascii() and phrase[-1].isalnum():
            part += r"(?![a-z0-9])"
        (latin if whole_words and phrase[0].isascii() and phrase[0].isalnum() else other).append(part)
    groups = ([rf"(?=[a-z0-9])(?<![a-z0-9])(?:{'|'.join(latin)})"] if latin else []) + other
    return f"(?:{'|'.join(groups)})" if groups else "(?!)"


# --- reading a reply --------------------------------------------------------------------------------


class _Hit(NamedTuple):
    start: int
    end: int
    category: str
    negated: bool


_CLAUSE_END = re.compile(r"[,.;:!?。\n]")
_UNITS = re.compile(r"[a-z0-9']+|[^\W_]")
_MENU = re.compile(r"^\W*(?:([123])(?![0-9]|[.,。/\-][0-9])|([一二两三])(?![^\W_]))")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", without_controls(text)).translate(_QUOTES)
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return " ".join(text.split())


def _compact(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def _menu_choice(folded: str, words: _Words) -> tuple[str, int] | None:
    """The menu digit a reply starts with ("1", "3 买药", "三，买药") and where it ends.

    Not a quantity ("3楼", "2 people"), an address ("3-201") or a temperature ("3°").
    """
    menu = _MENU.match(folded)
    if menu is None:
        return None
    rest = folded[menu.end() :].lstrip()
    if rest.startswith(("度", "°")) or words.counters.match(rest):
        return None
    return menu.group(1) or _MENU_NUMERALS[menu.group(2)], menu.end()


def _scan(folded: str, words: _Words) -> list[_Hit]:
    """The keywords in a reply, each marked negated or not."""
    hits: list[_Hit] = []
    for found in words.phrases.finditer(folded):
        category = words.categories[found.group()]
        negated = False
        if hits and category in ("help", "needs", *SYMPTOMS, "unwell", "well"):
            before = hits[-1]
            gap = folded[before.end : found.start()]
            if before.category in ("negations", "absence"):
                in_reach = _reaches(gap)
                negated = in_reach and (category != "well" or before.category == "negations")
            elif before.negated and before.category in SYMPTOMS and category in SYMPTOMS:
                negated = gap.strip() in words.joiners
        hits.append(_Hit(found.start(), found.end(), category, negated))
    return hits


def _reaches(gap: str) -> bool:
    """Whether a negation followed by `gap` still negates what comes after it: no punctuation ends the clause and
    at most `NEGATION_REACH` words (or Chinese characters) lie between."""
    return not _CLAUSE_END.search(gap) and len(_UNITS.findall(gap)) <= NEGATION_REACH


def _help_text(shown: str, folded: str, menu: tuple[str, int] | None, hits: list[_Hit]) -> str:
    """What is needed: the words after the help keyword (or menu digit 3), else before it."""
    source = shown if len(shown) == len(folded) else folded
    anchors = [(hit.start, hit.end) for hit in hits if hit.category == "help" and not hit.negated]
    if menu is not None and menu[0] == "3":
        anchors.append((0, menu[1]))
    if not anchors:  # a need on its own ("我要买药"): the whole reply says it
        return _trim(source)
    after = _trim(source[max(end for _, end in anchors) :])
    return after or _trim(source[: min(start for start, _ in anchors)])


def _trim(text: str) -> str:
    """`text` without the spaces and punctuation around it. A loop, not a regex anchored at the end: that retries
    every position of a long run of punctuation and takes quadratic time."""
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]
