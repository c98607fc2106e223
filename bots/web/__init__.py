"""The control center: the owner's browser front end (and a Bearer-token API for
scripts), served by `copilot run` on COPILOT_HTTP_HOST:COPILOT_HTTP_PORT. Pages are
rendered on the server (Starlette + Jinja, charts as inline SVG, a little plain JS for
Server-Sent Events); like every front end it only translates and renders: it calls the
facade (``agent.copilot.Copilot`` and its ``control``)."""
