"""The province's linkage key and the pseudonyms it gives its firms (docs/sources.md §7).

A customs extract names each firm by HMAC-SHA256 of its registration number under this key. The
key is read from `JB_LINK_KEY`, or from the file `JB_LINK_KEY_FILE` names, only when a pseudonym
is computed; it is never stored, logged or passed on, and the pseudonyms of the centres' firms
are computed in memory, next to the query that uses them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path

KEY_VARIABLE, KEY_FILE_VARIABLE = "JB_LINK_KEY", "JB_LINK_KEY_FILE"


class LinkKeyError(RuntimeError):
    """`JB_LINK_KEY_FILE` names a file that cannot be read, or an empty one."""


def link_key() -> bytes | None:
    """The linkage key, or None when neither variable is set (then no firm can be linked)."""
    if value := os.environ.get(KEY_VARIABLE):
        return value.encode()
    if named := os.environ.get(KEY_FILE_VARIABLE):
        try:
            key = Path(named).read_bytes().strip()
        except OSError as exc:
            raise LinkKeyError(f"{KEY_FILE_VARIABLE} names {named}, which cannot be read: {exc.strerror}") from None
        if not key:
            raise LinkKeyError(f"{KEY_FILE_VARIABLE} names {named}, which is empty")
        return key
    return None


def pseudonym(registration_number: str, key: bytes) -> str:
    """The extract's 가명기업번호 of a firm: HMAC-SHA256 of its 10 registration digits (dashes and
    spaces dropped), as 64 lowercase hex characters."""
    digits = re.sub(r"\D", "", registration_number)
    if len(digits) != 10:
        raise ValueError("a business registration number has 10 digits")
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()
