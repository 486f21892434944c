"""Signs of a need in a reply nothing else was understood in, for `sms.parser`: "家里没米了，也不会网上买", "I fell".

The phrases are the keyword tables' optional key `need_signs`; the parser hands them in as one regex alternation
(longest first, Latin words whole) and asks `found` only where it would otherwise give up, so a sign never changes a
reply the parser reads another way ("摔倒了，现在没事" is still well).

Decisions
- A sign the reply negates ("我没摔倒", "didn't fall") is not a need: the reply stays not understood and a person
  reads it. Whether a negation reaches the sign is the parser's own rule (`reaches`), not a second one here.
- The need is the whole reply: the words around a sign ("家里", "也不会网上买") are what the volunteer must know.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence


def found(folded: str, signs: re.Pattern[str], negation_ends: Sequence[int], reaches: Callable[[str], bool]) -> bool:
    """Whether `folded` (a normalised, case-folded reply) holds a sign of a need that no negation reaches.

    `negation_ends` are where the reply's negation words end, in order; `reaches(gap)` says whether a negation
    followed by the text `gap` still negates what comes after that gap."""
    for sign in signs.finditer(folded):
        before = bisect_right(negation_ends, sign.start())
        if before == 0 or not reaches(folded[negation_ends[before - 1] : sign.start()]):
            return True
    return False
