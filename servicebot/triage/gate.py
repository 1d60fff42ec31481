"""The intake gate: is a message a request to log, small talk to answer, or too terse to tell?

A ticket made from "hello" or "thanks!" counts as a contact and a failed first-contact resolution, so
every figure the desk is judged on is only as true as this gate. It decides in this order:

1. A message that is exactly one of small talk's examples (`intents/small_talk.yaml`) is that kind.
   Then courtesy (greetings, thanks, filler) is taken off; if nothing is left, it was small talk of that
   kind. "Printer's working now, thanks" is thanks, unless it also says the problem is not over.
2. A word that only requests use (the catalogue's keywords and examples, less anything small talk also
   says) makes it a request: "hi, can you help with my password" is logged. Not when the message is
   about the bot and says nothing of the speaker ("what company made you"), or is joke or hobby talk.
3. A message that is (nearly) one of small talk's examples is answered as that kind.
4. Keyboard mashes and test pings are noise.
5. Anything else is a request if triage is confident what it is about and the message shares a word,
   beyond everyday ones, with the desk's own requests (triage is over-confident on chat: "help!!" went
   to safeguarding). Otherwise the bot asks ("Shall I log this as a ticket?") rather than guess either
   way. The gate never refuses a message it cannot place, nor text in a script it cannot read: refusing
   a real request costs the desk far more than one question.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from rapidfuzz import fuzz, process

from intents.catalogue import Catalogue
from intents.small_talk import SmallTalk
from servicebot.triage.text import clean_for_ticket

# A word in more intents' examples than this is how people talk, not what they ask about ("weekend").
# 1 rather than 0 (keywords and titles only): "boiler broken" and "no internet" are logged without a
# question, at the cost of a few chatty words ("name", "company") counting as requests.
_SPECIFIC_TO = 1
_EXAMPLE_MATCH = 88  # rapidfuzz ratio: "how r you" is "how are you"; "how are you billing me" is not
_TOKEN = re.compile(r"[a-z0-9]+")
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")  # Slack's :tada: for 🎉
_REPEATS = re.compile(r"(.)\1{2,}")
_VOWELS = frozenset("aeiouy")
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
_EMOTICON = re.compile(r"^[\s:;=8xX()\[\]{}<>|/\\^_*'\-~pPdDoO0\u2600-\u27bf\U0001f000-\U0001faff]+$")

# Said to or about the bot itself ("what is your name", "are you a computer"): a request says what is
# wrong, so without a request word such a message is never logged unasked.
_ABOUT_THE_BOT = frozenset({"you", "your", "yourself", "youre", "u", "ur", "bot", "ai", "robot", "chatbot"})
_FIRST_PERSON = frozenset({"i", "im", "ive", "id", "ill", "me", "my", "mine", "we", "our", "us", "weve"})
# Never in a request, whoever it is said to.
_JOKING = frozenset(
    {"joke", "jokes", "joking", "funny", "laugh", "hobby", "hobbies", "favourite", "favorite"}
)
# Words of chat, not of problems: with them, triage's confidence is no evidence of a request.
_CHAT_CUES = frozenset(
    {
        "joke",
        "jokes",
        "funny",
        "laugh",
        "fact",
        "facts",
        "fun",
        "chat",
        "chatting",
        "speak",
        "speaking",
        "talk",
        "talking",
        "birthday",
        "born",
        "human",
        "alive",
        "boss",
        "hobby",
        "hobbies",
        "favourite",
        "favorite",
        "bored",
        "love",
        "like",
    }
)

# How people write in any request and in any chat: never evidence that a message is a request.
STOPWORDS = frozenset(
    """a about above after again against all am an and any anyone are arent as at be because been before
    being below between both but by can cant cannot could couldnt did didnt do does doesnt doing dont
    down during each few for from further get gets getting got had hadnt has hasnt have havent having
    he her here hers herself him himself his how i id ill im ive if in into is isnt it its itself just
    lets me more most mustnt my myself no nor not now of off on once only or other ought our ours
    ourselves out over own same shant she should shouldnt so some such than that thats the their theirs
    them themselves then there theres these they theyre this those through to too under until up very
    was wasnt we were werent what whats when where which while who whom why will with wont would
    wouldnt you your youre yours yourself yourselves u ur pls please plz hi hello hey thanks thank
    cheers ok okay yes yeah also still already since again anything something someone somebody anybody
    everything nothing thing things stuff way need needs needed want wants wanted help helping helped
    issue issues problem problems question questions query request work works working worked broken
    broke fix fixed sort sorted today tomorrow yesterday morning afternoon evening night week weekend
    month year day days time times monday tuesday wednesday thursday friday saturday sunday new old
    good bad great urgent urgently asap quick quickly soon know think tell told say said ask asked
    asking try tried trying going go gone come came see seen look looking make made take took give gave
    keep keeps kept let put use used using like back first last next one two three lot lots bit really
    sorry please hope well right left able unable error errors wrong fault faulty failed fails failing
    down stuck slow""".split()  # noqa: SIM905 (a word list reads better as text)
)


class Verdict(Enum):
    REQUEST = "request"
    SMALL_TALK = "small_talk"
    UNSURE = "unsure"


@dataclass(frozen=True)
class Screening:
    verdict: Verdict
    kind: str | None = None  # for small talk: greeting, thanks, goodbye, about, chat, ack or noise
    reason: str = ""  # which rule decided, for the benchmark's error analysis and the logs
    # False when the message is nothing but courtesy or has no words ("hello", "👍"): nothing to log even
    # when someone asks for it to be logged.
    has_content: bool = True


def words(text: str) -> list[str]:
    """Lower-case words without apostrophes or stretched letters ("Hellooo!" → hello, "can't" → cant)."""
    text = unicodedata.normalize("NFKC", text).lower().replace("'", "").replace("\u2019", "")
    return _TOKEN.findall(_REPEATS.sub(r"\1", text))


def _phrases(entries: Iterable[str]) -> set[tuple[str, ...]]:
    return {tuple(phrase) for phrase in map(words, entries) if phrase}


class IntakeGate:
    def __init__(self, small_talk: SmallTalk, catalogue: Catalogue) -> None:
        self.small_talk = small_talk
        courtesy = small_talk.courtesy
        self._courtesy: dict[tuple[str, ...], str] = {}
        for kind, entries in (("filler", courtesy.filler), ("greeting", courtesy.greeting)):
            self._courtesy.update(dict.fromkeys(_phrases(entries), kind))
        self._courtesy.update(dict.fromkeys(_phrases(courtesy.thanks), "thanks"))
        self._longest = max(len(p) for p in self._courtesy)
        self._resolved = {w for p in _phrases(small_talk.resolved_words) for w in p}
        self._unresolved = {w for p in _phrases(small_talk.unresolved_words) for w in p}
        self._examples: list[str] = []
        self._example_kind: list[str] = []
        chat_words: set[str] = set()
        for kind, spec in small_talk.kinds.items():
            for example in spec.examples:
                tokens = words(example)
                if tokens:
                    self._examples.append(" ".join(tokens))
                    self._example_kind.append(kind)
                    chat_words.update(tokens)
        for phrase in self._courtesy:
            chat_words.update(phrase)
        self.vocabulary = _request_vocabulary(catalogue, chat_words)
        self._example_kind_of = dict(zip(self._examples, self._example_kind, strict=True))
        self._catalogue_words = _catalogue_words(catalogue) - chat_words
        self._known = self.vocabulary | chat_words | STOPWORDS | self._catalogue_words

    def reply(self, kind: str) -> str:
        return self.small_talk.kinds[kind].reply

    def screen(self, text: str, triage_is_sure: Callable[[str], bool]) -> Screening:
        """`triage_is_sure(text)`: whether triage would route this text without asking."""
        tokens = words(_EMOJI_CODE.sub(" ", clean_for_ticket(text)))
        if not tokens and any(c.isalpha() for c in _EMOJI_CODE.sub(" ", text)):
            # Words, but in a script the gate does not read ("مرحبا، الطابعة لا تعمل"): never refused.
            return Screening(Verdict.UNSURE, reason="words it cannot read")
        if not tokens:
            emoji_only = _EMOTICON.match(_EMOJI_CODE.sub("🙂", text).strip() or ".")
            kind = "ack" if emoji_only else "noise"
            return Screening(Verdict.SMALL_TALK, kind, "no words", has_content=False)
        whole = " ".join(tokens)
        if whole in self._example_kind_of:  # exactly one of small talk's examples ("sounds good")
            return Screening(Verdict.SMALL_TALK, self._example_kind_of[whole], "an example")
        content, said = self._without_courtesy(tokens)
        if not content:
            kind = "thanks" if "thanks" in said else "greeting" if "greeting" in said else "ack"
            return Screening(Verdict.SMALL_TALK, kind, "only courtesy", has_content=False)
        if "thanks" in said and self._resolved & set(content) and not self._unresolved & set(tokens):
            return Screening(Verdict.SMALL_TALK, "thanks", "thanks for a fix")
        present = set(tokens)
        # "What company made you", "may I have your name": about the bot, not the speaker's world. A
        # request said to the bot still says whose problem it is ("can you reset my password").
        about_the_bot = bool(_ABOUT_THE_BOT & present) and not _FIRST_PERSON & present
        chatting = bool(_JOKING & present) or (about_the_bot and bool(_CHAT_CUES & present))
        if self._says_a_request_word(content) and not about_the_bot and not chatting:
            return Screening(Verdict.REQUEST, reason="request words")
        for candidate in (" ".join(tokens), " ".join(content)):
            found = process.extractOne(
                candidate, self._examples, scorer=fuzz.ratio, score_cutoff=_EXAMPLE_MATCH
            )
            if found is not None:
                return Screening(Verdict.SMALL_TALK, self._example_kind[found[2]], "like an example")
        unknown = [w for w in content if w not in self._known]
        if unknown and len(unknown) == len(content) and all(_mashed(w) for w in unknown):
            return Screening(Verdict.SMALL_TALK, "noise", "keyboard mash")
        # Triage is confident about some chat ("what day is it today" → a leaver); its word counts only when
        # the message says something the desk's own requests say, beyond everyday words.
        shared = [w for w in content if w in self._catalogue_words and w not in STOPWORDS and len(w) > 1]
        if shared and not about_the_bot and not _CHAT_CUES & present and triage_is_sure(text):
            return Screening(Verdict.REQUEST, reason="triage is sure")
        return Screening(Verdict.UNSURE, reason="no request words")

    def _says_a_request_word(self, content: list[str]) -> bool:
        # "printer's" and "printers" are "printer" once the apostrophe is gone.
        return any(w in self.vocabulary or (w.endswith("s") and w[:-1] in self.vocabulary) for w in content)

    def _without_courtesy(self, tokens: list[str]) -> tuple[list[str], set[str]]:
        content: list[str] = []
        said: set[str] = set()
        i = 0
        while i < len(tokens):
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                kind = self._courtesy.get(tuple(tokens[i : i + size]))
                if kind is not None:
                    said.add(kind)
                    i += size
                    break
            else:
                content.append(tokens[i])
                i += 1
        return content, said


def _catalogue_words(catalogue: Catalogue) -> set[str]:
    return {
        w
        for intent in catalogue.intents.values()
        for text in (intent.title, *intent.keywords, *intent.examples)
        for w in words(text)
    }


def _request_vocabulary(catalogue: Catalogue, chat_words: set[str]) -> frozenset[str]:
    """Words only requests use: keywords and titles, and example words specific to a few intents."""
    spread: Counter[str] = Counter()
    chosen: set[str] = set()
    for intent in catalogue.intents.values():
        for text in (intent.title, *intent.keywords):
            chosen.update(words(text))
        spread.update({w for example in intent.examples for w in words(example)})
    chosen.update(w for w, intents in spread.items() if intents <= _SPECIFIC_TO)
    return frozenset(
        w for w in chosen if len(w) > 1 and w not in STOPWORDS and w not in chat_words and not w.isdigit()
    )


def _mashed(word: str) -> bool:
    """A keyboard mash or a test ping: no vowel, one or two letters over and over, digits, a key-row run."""
    if word.isdigit() or len(word) == 1:  # one letter: what "wwwwwww" is once stretched letters are undone
        return True
    letters = [c for c in word if c.isalpha()]
    if len(letters) >= 3 and not _VOWELS & set(letters):
        return True
    if len(word) >= 4 and len(set(word)) <= 2:
        return True
    if re.search(r"[^aeiouy0-9]{5,}", word):
        return True
    return len(word) >= 4 and any(_row_run(word, row) for row in _KEY_ROWS)


def _row_run(word: str, row: str) -> bool:
    """Four neighbouring keys of one row in a row ("asdf", "hjkl"), either direction: three would take
    in real words ("answer", "alert")."""
    for i in range(len(word) - 3):
        chunk = word[i : i + 4]
        if chunk in row or chunk[::-1] in row:
            return True
    return False
