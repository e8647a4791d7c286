"""Helpers of the Gradio page (app.py): pure rendering, exact-wording search, uploads, feedback,
the password gate and the JSON route, each free of Gradio so it can be unit-tested; handlers.py
(the page's event handlers) is the one module here that uses Gradio. app.py holds the layout and wiring.
"""
