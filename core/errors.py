"""Error hierarchy of the co-pilot.

``CopilotError`` and its subclasses carry a message written for the owner: front ends
print ``str(exc)`` as it is. Anything that is not a ``CopilotError`` is a bug or an
infrastructure failure and is logged, then shown as a generic sentence.
"""


class CopilotError(Exception):
    """Base of every error the user may see. Its message is one plain sentence."""


class InvalidInput(CopilotError):
    """The request cannot be carried out as given (bad ticker, bad condition...). User sees it."""


class NotFound(CopilotError):
    """A referenced object (alert, draft, decision) does not exist. User sees it."""


class PermissionDenied(CopilotError):
    """The caller may not run this action (only owners may). User sees it."""


class ProviderError(CopilotError):
    """An external service failed after retries. User sees it."""


class RateLimited(ProviderError):
    """An external service's quota is exhausted. User sees it, with when it resets."""

    def __init__(self, message: str, retry_at: float | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class ConfigurationError(CopilotError):
    """A setting is invalid (a webhook URL that cannot work, a Discord token Discord
    rejects). User sees it; `copilot run` exits 2 on it at start."""
