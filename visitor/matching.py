"""Find a child's code or an authority's name in free text however the visitor spelled it.

Visitors write "AB" as "ab", "A.B.", "A B's keyworker" or "Jb", and "Westford City Council" as
"WESTFORD CITY COUNCIL", "Westford's" or just "Westford". Exact matching misses all of these, so a
placing authority's copy would leak other children. These matchers are deliberately fuzzy about case,
dots and spaces, but strict about word boundaries: a code never matches inside another word, and
short codes that are also ordinary words ("A", "IT", "AM") match only in forms that cannot be the
word (see ``code_pattern``). Pure domain code: no Textual, no docx.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Codes that spell an everyday English word, or a word the report itself prints ("Reg", "Oct"). Such a
# code is matched only in capitals ("IT", "I.T.", "IT's"), never as the word ("it", "It's"): redacting
# every "it" would make a report unreadable, while capitals in running text almost always mean initials.
# Abbreviations that are not words ("GP", "ST") are deliberately absent: "gp" or "st" written by a
# visitor is more likely the child than the word, and a redacted "St" costs less than a leaked child.
_COMMON_WORDS = """
    ah am an as at be by do eh ex go ha he hi if in is it ma me my no of oh ok on or ow ox pa pm re so to
    uh um up us we
    ace act add ado aft age ago aid ail aim air ale all and ant any ape apt arc are ark arm art ash ask
    ate awe axe bad bag ban bar bat bay bed bee beg bet bib bid big bin bit boa bob bog boo bow box boy
    bud bug bum bun bus but buy bye cab can cap car cat cob cod cog con cop cot cow coy cry cub cue cup
    cut dab dad dam day den dew did die dig dim din dip doe dog don dot dry dub dud due dug dun duo dye
    ear eat ebb egg ego eke elf elk elm emu end era eve ewe eye fab fad fan far fat fax fed fee few fib
    fig fin fir fit fix flu fly foe fog for fox fry fun fur gab gag gal gap gas gel gem get gig gin gnu
    god got gum gun gut guy gym had hag ham has hat hay hem hen her hew hex hey hid him hip his hit hob
    hog hop hot how hub hue hug hum hut ice icy ill imp ink inn ion ire irk its ivy jab jam jar jaw jay
    jet jig job jog jot joy jug jut keg ken key kid kin kit lab lad lag lap law lay lea led leg let lid
    lie lip lit lob log lot low lug mad man map mat maw may men met mid mix mob mod mom mop mow mud mug
    mum nab nag nap nay net new nib nil nip nit nod nor not now nun nut oaf oak oar oat odd ode off oft
    oil old one opt orb ore our out owe owl own pad pal pan pap par pat paw pay pea peg pen pep per pet
    pew pie pig pin pit ply pod pop pot pow pro pry pub pun pup pus put rag ram ran rap rat raw ray red
    ref rib rid rig rim rip rob rod roe rot row rub rue rug rum run rut rye sad sag sap sat saw say sea
    see set sew sex she shy sin sip sir sit six ski sky sly sob sod son sow soy spa spy sty sub sue sum
    sun sup tab tad tag tan tap tar tax tea tee ten the thy tic tie tin tip toe tom ton too top tot tow
    toy try tub tug two urn use van vat vet vex via vie vow wad wag war was wax way web wed wee wet who
    why wig win wit woe wok won woo wow yak yam yap yaw yea yen yes yet yew you zap zip zoo
    also back been came come does done down each even ever from gave give good have here into just
    keep kind know last left like live look made make many mind more most much must name need next
    only over part play said same seen some such sure take tell than that them then they this time
    told very want week well went were what when will with work year your
    reg mar jan feb apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
"""
COMMON_WORDS = frozenset(_COMMON_WORDS.split())

_SEP = r"(?:\.[ \u00a0]?|[ \u00a0\-])?"            # between the letters of a code: "A.B", "A. B", "A B", "A-B"
_BEFORE = r"(?<!\w)(?<![A-Z]\.)"                     # a whole token, not the tail of "C.A.B."
_AFTER = r"(?!\w)(?!\.[A-Za-z]\.)(?!\.[A-Za-z]\b)"   # ... and not the head of "A.B.C"


def code_units(code: str) -> list[str]:
    """The letters and digit runs that make a code: "A.B." and "a b" are both ["A", "B"]."""
    return re.findall(r"[A-Za-z]|\d+", code)


def code_key(code: str) -> str:
    """One spelling per code, for telling whether two codes are the same child's ("J.B." == "jb")."""
    return "".join(code_units(code)).upper()


def code_pattern(code: str) -> re.Pattern[str]:
    """A pattern matching ``code`` as a whole token in free text, in the spellings visitors use.

    Letters may be in any case and separated by a dot, a dot and a space, a space or a hyphen; a
    possessive ("AB's") is left outside the match so it survives redaction ("[redacted]'s").
    A dotted spelling's final dot is part of the match ("A.B." as a whole).

    Codes that are also ordinary words would otherwise turn everyday words into "[redacted]", so:

    * a single letter ("A", "I") matches only as a capital initial followed by a dot or a possessive
      ("A.", "A's"), never the article "a" nor a capital "A" starting a sentence;
    * a code that spells a common word or abbreviation (``COMMON_WORDS``: "IT", "AM", "ME", "GP")
      matches only in capitals ("IT", "I.T.", "I T's"), never "it" or "It";
    * a code of digits only ("12") matches only written with a hash ("#12"), never as a number,
      because reports are full of counts.

    Raises ``ValueError`` for text that has no letters or digits (such as "[erased]").
    """
    if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 .\-]*", code.strip()):
        raise ValueError(f"{code!r} is not a child's code (letters, digits, dots, spaces, hyphens).")
    units = code_units(code)
    key = code_key(code)
    if key.isdigit():
        body = r"\#[ \u00a0]?" + key
        return re.compile(r"(?<!\w)" + body + r"(?!\w)")
    if len(key) == 1:
        body = key + r"(?:\.|(?=['’]s(?!\w)))"
        return re.compile(_BEFORE + body + r"(?!\w)")
    capitals_only = key.lower() in COMMON_WORDS

    def unit(u: str) -> str:
        if u.isdigit() or capitals_only:
            return u.upper()
        return f"[{u.upper()}{u.lower()}]"

    first_sep = r"(?:(?P<dot>\.)[ \u00a0]?|[ \u00a0\-])?"
    body = unit(units[0]) + first_sep + _SEP.join(unit(u) for u in units[1:]) + r"(?(dot)\.?)"
    return re.compile(_BEFORE + body + _AFTER)


# Words every authority's name shares: never evidence of which authority is meant.
_GENERIC_WORDS = """
    council county city borough district metropolitan royal london unitary authority local corporation
    of the and upon on in with at for by & cc ccc mbc bc dc lbc lb rbc uc la gov
    children's childrens children services service department dept social care
"""
GENERIC_WORDS = frozenset(_GENERIC_WORDS.split())
# Words that qualify a place ("North Yorkshire"): part of a name, but never matched on their own.
QUALIFIERS = frozenset(("north", "south", "east", "west", "central", "mid", "greater", "upper", "lower", "new",
                        "great", "little", "old", "inner", "outer", "northern", "southern", "eastern", "western"))
# Generic words that may follow or precede the distinctive word and are redacted with it.
_TAIL_WORDS = r"county|city|borough|district|metropolitan|unitary|council|authority|cc|ccc|mbc|bc|dc|lbc|rbc|uc|" \
              r"children['’]?s|services"
_TAIL = r"(?:[ \u00a0]+(?i:" + _TAIL_WORDS + r")(?!\w))*"
_HEAD = r"(?:(?i:(?:the[ \u00a0]+)?(?:(?:royal|london|city|county|metropolitan|borough)[ \u00a0]+)+of)[ \u00a0]+)?"


def _word(word: str) -> str:
    """A distinctive word in any capitalisation; all in lower case only when a generic word follows.

    "eastborough council" and "Eastborough" are the authority, but a lone lower-case word is far more
    often the everyday word: "other", "reading", "bath" must survive in an authority named after them.
    """
    lower = re.escape(word.lower())
    return (r"(?!" + lower + r"(?!\w))(?i:" + re.escape(word) + ")"
            r"|" + lower + r"(?=[ \u00a0]+(?i:" + _TAIL_WORDS + r")(?!\w))")


def _tokens(name: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:['’][^\W_]+)*|&", name)


def _distinctive(name: str) -> list[str]:
    return [t for t in _tokens(name) if t.lower() not in GENERIC_WORDS and t.lower() not in QUALIFIERS
            and len(t) >= 3 and not t.isdigit()]


def _phrase(tokens: list[str]) -> str:
    return r"[ \u00a0\-]+".join(re.escape(t) for t in tokens)


def authority_pattern(name: str, *, protect: Iterable[str] = ()) -> re.Pattern[str]:
    """A pattern matching authority ``name`` in free text by its distinctive words.

    "Westford City Council" is found as "WESTFORD CITY COUNCIL", "westford", "Westford's" or
    "City of Westford"; "Northshire County Council" as "Northshire CC". The generic words around the
    distinctive one are matched with it, so redaction leaves no "[redacted] City Council" behind.
    Generic words alone ("council", "county") never match, nor do words inside other words.

    ``protect`` lists names that must never be touched (the reader's own authority): a distinctive
    word they share is not used. If every distinctive word is shared ("Kent County" beside the
    reader's "Kent County Council"), only the full name matches, and not where it is part of a
    protected name. A distinctive word written all in lower case matches only followed by a generic
    word ("reading council", not "reading a book"), since it is so often the everyday word.
    """
    tokens = _tokens(name)
    if not tokens:
        raise ValueError(f"{name!r} has no words to match.")
    protected = [_tokens(p) for p in protect]
    shared = {w.lower() for p in protect for w in _distinctive(p)}
    own = [w for w in _distinctive(name) if w.lower() not in shared]
    if own:
        words = "|".join(_word(w) for w in sorted(set(own), key=len, reverse=True))
        qualifiers = [t for t in tokens if t.lower() in QUALIFIERS]
        lead = "(?:(?i:" + "|".join(map(re.escape, qualifiers)) + r")[ \u00a0\-]+)*" if qualifiers else ""
        return re.compile(r"(?<!\w)" + _HEAD + lead + "(?:" + words + ")" + _TAIL + r"(?!\w)")
    before: list[str] = []  # not preceded by the start of a protected name ("North " Eastborough)
    after: list[str] = []   # not followed by the rest of one (Kent County " Council")
    lowered = [t.lower() for t in tokens]
    for p in protected:
        low = [t.lower() for t in p]
        for k in range(len(low) - len(lowered) + 1):
            if low[k:k + len(lowered)] != lowered:
                continue
            if k > 0:
                before.append("(?<!" + re.escape(" ".join(p[:k]) + " ") + ")")
            if k + len(lowered) < len(low):
                after.append(r"(?![ \u00a0\-]+" + _phrase(p[k + len(lowered):]) + r"(?!\w))")
    return re.compile("(?i:" + r"(?<!\w)" + "".join(before) + _phrase(tokens) + "".join(after) + r"(?!\w))")


def redact(text: str, patterns: Iterable[re.Pattern[str]], *, keep: Iterable[re.Pattern[str]] = (),
           mark: str = "[redacted]") -> str:
    """Replace every match of ``patterns`` in ``text`` with ``mark``, leaving spans ``keep`` matches alone.

    ``keep`` is how the reader's own names survive: "Kent County Council" is set aside before a
    pattern for another authority can touch a word of it.
    """
    patterns = list(patterns)
    if not patterns or not text:
        return text
    spans: list[tuple[int, int]] = []
    for pattern in keep:
        spans.extend(m.span() for m in pattern.finditer(text) if m.end() > m.start())
    spans.sort()
    pieces, at = [], 0
    for start, end in spans:
        start = max(start, at)
        if end <= start:
            continue
        pieces.append((text[at:start], True))
        pieces.append((text[start:end], False))
        at = end
    pieces.append((text[at:], True))
    out = []
    for piece, open_ in pieces:
        if open_:
            for pattern in patterns:
                piece = pattern.sub(mark, piece)
        out.append(piece)
    return "".join(out)
