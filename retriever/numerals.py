"""Chinese numerals as the texts write them: 第二十五条 is article 25, and 25 is written 二十五.

Pure functions.
"""
from __future__ import annotations


_DIGITS = "零一二三四五六七八九"
#: The old single characters for twenty, thirty and forty (第廿五条 is article 25), as askers still
#: write them in dates and ordinals; no heading of the corpus uses them.
TENS_CHARACTERS = {"廿": 20, "卅": 30, "卌": 40}


def chinese_number(n: int) -> str:
    """0 < n < 10000 in the form headings use: 10 → 十, 25 → 二十五, 102 → 一百零二, 110 → 一百一十."""
    if not 0 < n < 10000:
        raise ValueError(f"条号超出范围：{n}")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if zero:
                out += "零"
            out += _DIGITS[digit] + unit
            zero = False
        elif out:
            zero = True
    return out[1:] if out.startswith("一十") else out  # 十五, not 一十五


def chinese_count(n: int) -> str:
    """How many, as a count is said: 两 for 2 (两份文件, 两条), else :func:`chinese_number`."""
    return "两" if n == 2 else chinese_number(n)


def arabic_number(text: str) -> int | None:
    """The value of a Chinese numeral as written in headings (二十五 → 25, 一百零二 → 102), or digit
    by digit without units, as years and order numbers are written (一〇七 → 107, 二〇二一 → 2021);
    廿五 is 25."""
    if len(text) > 1 and all(ch in _DIGITS or ch == "〇" for ch in text):
        return int("".join(str(_DIGITS.index("零" if ch == "〇" else ch)) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in "零〇":
            digit = 0
        elif ch in _DIGITS or ch == "两":
            digit = 2 if ch == "两" else _DIGITS.index(ch)
        elif ch in TENS_CHARACTERS:
            total += TENS_CHARACTERS[ch]
            digit = None
        elif ch in "十百千":
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + (digit or 0) if text else None
