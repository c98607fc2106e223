"""Distribution adapters behind one interface: Discord (webhook or bot), WordPress REST
API (application-password auth), email over SMTP (aiosmtplib)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

import httpx

from core.errors import ProviderError
from tools.content.models import ContentDraft


class PublishFailed(ProviderError):
    """The channel refused or could not be reached; the draft may be retried."""


@dataclass
class Published:
    external_id: str
    url: str | None = None


class Publisher(Protocol):
    channel: str

    async def publish(self, draft: ContentDraft) -> Published: ...

    async def find_existing(self, draft: ContentDraft) -> Published | None:
        """Whether this draft already went out (for recovery after a crash)."""
        ...


def slug(draft: ContentDraft) -> str:
    return f"copilot-draft-{draft.id}"


class WordPressPublisher:
    """POST /wp-json/wp/v2/posts. The slug carries the draft id, so a crash between the
    post and our bookkeeping is detected by looking the slug up instead of posting twice."""

    channel = "blog"

    def __init__(self, client: httpx.AsyncClient, base_url: str, user: str, app_password: str,
                 status: str = "publish") -> None:
        self.client = client
        self.base = base_url.rstrip("/")
        self.auth = httpx.BasicAuth(user, app_password)
        self.status = status

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self.client.request(method, f"{self.base}/wp-json/wp/v2{path}",
                                                 auth=self.auth, timeout=20, **kwargs)
        except httpx.HTTPError as exc:
            raise PublishFailed(f"WordPress is unreachable ({type(exc).__name__}).") from exc
        if response.status_code in (401, 403):
            raise PublishFailed("WordPress refused the credentials (check WORDPRESS_USER and "
                                "the application password).")
        if response.status_code >= 400:
            raise PublishFailed(f"WordPress answered HTTP {response.status_code}.")
        return response.json()

    async def publish(self, draft: ContentDraft) -> Published:
        post = await self._call("POST", "/posts", json={
            "title": draft.title, "content": draft.html or draft.body, "excerpt": draft.excerpt,
            "status": self.status, "slug": slug(draft),
        })
        return Published(str(post["id"]), post.get("link"))

    async def find_existing(self, draft: ContentDraft) -> Published | None:
        posts = await self._call("GET", "/posts", params={"slug": slug(draft), "status": "any"})
        if posts:
            return Published(str(posts[0]["id"]), posts[0].get("link"))
        return None


class EmailPublisher:
    channel = "email"

    def __init__(self, host: str, port: int, sender: str, recipients: list[str],
                 user: str | None = None, password: str | None = None,
                 start_tls: bool | None = None) -> None:
        if not recipients:
            raise ProviderError("EMAIL_TO is empty: nobody to send the newsletter to.")
        self.host, self.port = host, port
        self.sender, self.recipients = sender, recipients
        self.user, self.password = user, password
        self.start_tls = start_tls

    async def publish(self, draft: ContentDraft) -> Published:
        import aiosmtplib

        message = EmailMessage()
        message["Subject"] = draft.title
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message_id = make_msgid(idstring=slug(draft), domain="victor-copilot")
        message["Message-ID"] = message_id
        message.set_content(draft.body)
        if draft.html:
            message.add_alternative(draft.html, subtype="html")
        try:
            await aiosmtplib.send(message, hostname=self.host, port=self.port,
                                  username=self.user, password=self.password,
                                  start_tls=self.start_tls, timeout=20)
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise PublishFailed(f"The mail server refused the newsletter ({exc}).") from exc
        return Published(message_id)

    async def find_existing(self, draft: ContentDraft) -> Published | None:
        return None  # SMTP cannot tell: a stuck send is reported, never resent blindly


class DiscordWebhookPublisher:
    channel = "discord"

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client = client
        self.url = url

    async def publish(self, draft: ContentDraft) -> Published:
        try:
            response = await self.client.post(self.url, params={"wait": "true"},
                                              json={"content": draft.body}, timeout=20)
        except httpx.HTTPError as exc:
            raise PublishFailed(f"The Discord webhook is unreachable ({type(exc).__name__}).") from exc
        if response.status_code >= 400:
            raise PublishFailed(f"The Discord webhook answered HTTP {response.status_code}.")
        return Published(str(response.json().get("id", "")))

    async def find_existing(self, draft: ContentDraft) -> Published | None:
        return None
