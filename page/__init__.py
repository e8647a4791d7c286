"""Helpers of the Gradio page (app.py): pure rendering, exact-wording search, uploads, feedback.

Everything here is free of Gradio so it can be unit-tested; app.py holds the layout and wiring.
"""
