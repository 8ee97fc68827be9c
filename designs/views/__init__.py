"""The dashboard: server-rendered pages for a project's members (threads, gallery, team, keys).

Views are thin: they check who is asking (`access.project_page`), validate a form, call one
service and render a template. Live updates come from the websocket feeds (`static/easel/`).
"""
