"""The offline model: a deterministic chat model that routes plain English to tools.

``OfflineChatModel`` implements LangChain's chat-model interface (``bind_tools``
included). Routing is data: each capability's ``grammar.py`` lists, per canonical tool,
the phrases that point to it and how to fill its arguments from what ``extract`` finds in
a message; ``OfflineChatModel.from_grammars`` combines them.
"""

from agent.offline.model import OfflineChatModel

__all__ = ["OfflineChatModel"]
