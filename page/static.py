"""The page's static assets (page/assets/): its style sheet, its script and its example questions.

Kept as files so they can be read, linted and edited as CSS/JS/text; the load script
(bench/load_page.py) asks the same example questions as the page shows.
"""
from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"


def read_asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


#: The page's style sheet (Gradio ``css=``).
CSS = read_asset("style.css")
#: Runs once in the browser when the page loads (Gradio ``js=``): citation links and copy buttons.
JS = read_asset("app.js")
#: The 常见问题 buttons, one question a line.
EXAMPLES = [line.strip() for line in read_asset("examples.txt").splitlines() if line.strip()]
