"""Distribution adapters behind one interface: Discord (webhook), WordPress REST API
(application-password auth), email over SMTP (aiosmtplib).

Every failure is one of three kinds, because what may be done next depends on it:

- ``PublishFailed``: nothing went out (refused, unreachable, an HTTP error answer);
  ``retry`` says whether trying again soon may help.
- ``PublishInDoubt``: the request left but no answer came back (a timeout, a dropped
  connection): the post may exist, or appear a little later. Never resend blindly.
- ``UnexpectedReply``: the channel answered with something its API does not document
  (an HTML page, no post id): whether it went out is unknown too.

Only WordPress can be asked afterwards whether a draft went out (``can_look_up``): each post
carries the ``copilot-draft-<id>`` slug. A Discord webhook cannot be searched for a message
(webhooks have no reliable nonce lookup) and SMTP cannot be asked at all, so a send there
that ends in doubt is reported on the draft for the owner to check, never resent."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

import httpx

from core.errors import ProviderError
from tools.content.models import ContentDraft


class PublishFailed(ProviderError):
    """Nothing went out: the channel refused or could not be reached."""

    retry = True  # whether trying again soon may help


class PublishRefused(PublishFailed):
    """The channel said no for a reason another try will not change (credentials, 4xx)."""

    retry = False


class PublishInDoubt(PublishFailed):
    """The request went out but no answer came back: the post may exist."""

    retry = False


class UnexpectedReply(PublishFailed):
    """The channel answered with something that is not what its API documents."""

    retry = False


@dataclass
class Published:
    external_id: str
    url: str | None = None


class Publisher(Protocol):
    channel: str
    label: str  # what the owner calls it: "WordPress", "the Discord webhook", "SMTP"
    can_look_up: bool  # find_existing can tell whether a draft went out

    async def publish(self, draft: ContentDraft) -> Published: ...

    async def find_existing(self, draft: ContentDraft) -> Published | None:
        """Whether this draft already went out (None also when the channel cannot tell)."""
        ...

    async def probe(self) -> None:
        """Raise ``PublishFailed`` when the channel cannot be used right now."""
        ...


def slug(draft: ContentDraft) -> str:
    return f"copilot-draft-{draft.id}"


def describe(response: httpx.Response) -> str:
    """A short account of an answer that is not the JSON we expected."""
    kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    text = response.text[:200].strip()
    if "html" in kind or text.lower().startswith(("<!doctype", "<html")):
        return f"an HTML page (HTTP {response.status_code})"
    if not text:
        return f"an empty answer (HTTP {response.status_code})"
    return f"{kind} that is not JSON (HTTP {response.status_code}): {text[:60]!r}"


async def http_call(client: httpx.AsyncClient, label: str, method: str, url: str,
                    timeout: float, **kwargs: Any) -> Any:
    """One HTTP exchange, each failure mapped to what it means for the post."""
    try:
        response = await client.request(method, url, timeout=timeout, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise PublishFailed(f"{label} is unreachable ({type(exc).__name__}).") from exc
    except httpx.TimeoutException as exc:  # read/write timeout: the request left
        raise PublishInDoubt(f"{label} did not answer within {timeout:g} s.") from exc
    except httpx.HTTPError as exc:  # the connection dropped mid-exchange
        raise PublishInDoubt(f"{label} dropped the connection ({type(exc).__name__}).") from exc
    status = response.status_code
    if status in (401, 403):
        raise PublishRefused(f"{label} refused the credentials (HTTP {status}).")
    if status in (408, 429) or status >= 500:
        raise PublishFailed(f"{label} answered HTTP {status}.")
    if status >= 400:
        raise PublishRefused(f"{label} refused the request (HTTP {status}).")
    try:
        return response.json()
    except ValueError:
        raise UnexpectedReply(f"{label} answered with {describe(response)} instead of "
                              "JSON.") from None


def _post(data: Any, label: str) -> Published:
    """A WordPress post object (or a Discord message): an id, and maybe a link."""
    if not isinstance(data, dict):
        raise UnexpectedReply(f"{label} answered with a JSON {type(data).__name__}, not a post.")
    post_id = data.get("id")
    if isinstance(post_id, bool) or not isinstance(post_id, int | str) or not str(post_id).strip():
        raise UnexpectedReply(f"{label} answered without a usable post id ({post_id!r}).")
    link = data.get("link")
    return Published(str(post_id), link if isinstance(link, str) else None)


class WordPressPublisher:
    """POST /wp-json/wp/v2/posts. The slug carries the draft id, so a crash or a timeout
    between the post and our bookkeeping is settled by looking the slug up, not by
    posting again."""

    channel = "blog"
    label = "WordPress"
    can_look_up = True

    def __init__(self, client: httpx.AsyncClient, base_url: str, user: str, app_password: str,
                 status: str = "publish", timeout_s: float = 20.0,
                 probe_timeout_s: float = 5.0) -> None:
        self.client = client
        self.base = base_url.rstrip("/")
        self.auth = httpx.BasicAuth(user, app_password)
        self.status = status
        self.timeout_s = timeout_s
        self.probe_timeout_s = probe_timeout_s

    async def _call(self, method: str, path: str, timeout: float, **kwargs: Any) -> Any:
        return await http_call(self.client, self.label, method,
                               f"{self.base}/wp-json/wp/v2{path}", timeout,
                               auth=self.auth, **kwargs)

    async def publish(self, draft: ContentDraft) -> Published:
        post = await self._call("POST", "/posts", self.timeout_s, json={
            "title": draft.title, "content": draft.html or draft.body, "excerpt": draft.excerpt,
            "status": self.status, "slug": slug(draft),
        })
        return _post(post, self.label)

    async def find_existing(self, draft: ContentDraft) -> Published | None:
        wanted = slug(draft)
        posts = await self._call("GET", "/posts", self.timeout_s,
                                 params={"slug": wanted, "status": "any"})
        if not isinstance(posts, list):
            raise UnexpectedReply(f"{self.label} answered the post lookup with a JSON "
                                  f"{type(posts).__name__}, not a list.")
        mine = [p for p in posts if not isinstance(p, dict) or p.get("slug", wanted) == wanted]
        return _post(mine[0], self.label) if mine else None

    async def probe(self) -> None:
        posts = await self._call("GET", "/posts", self.probe_timeout_s, params={"per_page": 1})
        if not isinstance(posts, list):
            raise UnexpectedReply(f"{self.label} answered with a JSON {type(posts).__name__}, "
                                  "not a list of posts.")


class EmailPublisher:
    """SMTP cannot be asked whether a message was delivered: a send that times out is
    reported on the draft ("check your sent mail"), never resent automatically."""

    channel = "email"
    label = "the mail server"
    can_look_up = False

    def __init__(self, host: str, port: int, sender: str, recipients: list[str],
                 user: str | None = None, password: str | None = None,
                 start_tls: bool | None = None, timeout_s: float = 20.0) -> None:
        if not recipients:
            raise ProviderError("EMAIL_TO is empty: nobody to send the newsletter to.")
        self.host, self.port = host, port
        self.sender, self.recipients = sender, recipients
        self.user, self.password = user, password
        self.start_tls = start_tls
        self.timeout_s = timeout_s

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
                                  start_tls=self.start_tls, timeout=self.timeout_s)
        except Exception as exc:  # noqa: BLE001 - every SMTP failure is classified below
            raise smtp_failure(exc) from exc
        return Published(message_id)

    async def find_existing(self, draft: ContentDraft) -> Published | None:
        return None  # SMTP cannot tell: a stuck send is reported, never resent blindly

    async def probe(self) -> None:
        import aiosmtplib

        smtp = aiosmtplib.SMTP(hostname=self.host, port=self.port, start_tls=self.start_tls,
                               timeout=min(self.timeout_s, 5.0))
        try:
            await smtp.connect()
            if self.user and self.password:
                await smtp.login(self.user, self.password)
            await smtp.noop()
        except Exception as exc:  # noqa: BLE001 - every SMTP failure is classified below
            failure = smtp_failure(exc)
            raise PublishFailed(str(failure)) from exc
        finally:
            if smtp.is_connected:
                try:
                    await smtp.quit()
                except Exception:  # noqa: BLE001 - closing is best effort
                    smtp.close()


def smtp_failure(exc: Exception) -> PublishFailed:
    import aiosmtplib

    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return PublishRefused(f"The mail server refused the login ({exc.code}).")
    if isinstance(exc, aiosmtplib.SMTPConnectTimeoutError | aiosmtplib.SMTPConnectError
                  | ConnectionRefusedError):
        return PublishFailed(f"The mail server is unreachable ({type(exc).__name__}).")
    if isinstance(exc, TimeoutError | aiosmtplib.SMTPServerDisconnected):
        return PublishInDoubt(f"The mail server stopped answering mid-send "
                              f"({type(exc).__name__}).")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        cls = PublishFailed if 400 <= exc.code < 500 else PublishRefused
        return cls(f"The mail server refused the newsletter ({exc.code} {exc.message}).")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return PublishRefused("The mail server refused every recipient in EMAIL_TO.")
    if isinstance(exc, aiosmtplib.SMTPException | OSError):
        return PublishFailed(f"The mail server refused the newsletter ({exc}).")
    return UnexpectedReply(f"Sending the newsletter failed unexpectedly "
                           f"({type(exc).__name__}: {exc}).")


class DiscordWebhookPublisher:
    """POST to the webhook with ``?wait=true``, so Discord answers with the message (its id
    is what reactions and replies are matched by). A webhook cannot be searched for a
    message, so a send that ends in doubt is reported, never resent."""

    channel = "discord"
    label = "the Discord webhook"
    can_look_up = False

    def __init__(self, client: httpx.AsyncClient, url: str, timeout_s: float = 20.0) -> None:
        self.client = client
        self.url = url
        self.timeout_s = timeout_s

    async def publish(self, draft: ContentDraft) -> Published:
        message = await http_call(self.client, self.label, "POST", self.url, self.timeout_s,
                                  params={"wait": "true"}, json={"content": draft.body})
        return _post(message, self.label)

    async def find_existing(self, draft: ContentDraft) -> Published | None:
        return None

    async def probe(self) -> None:
        webhook = await http_call(self.client, self.label, "GET", self.url,
                                  min(self.timeout_s, 5.0))
        if not isinstance(webhook, dict):
            raise UnexpectedReply(f"{self.label} answered with a JSON {type(webhook).__name__}.")
