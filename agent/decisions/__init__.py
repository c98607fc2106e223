"""The decision layer: questions the co-pilot puts to the owner, each a LangGraph
``interrupt()`` on its own checkpointed thread, recommended from memory of past choices,
decided by the owner or (when allowed) by autopilot, with an audit log and undo."""
