"""A tiny MCP server on stdio for tests: run as a program, it offers two tools."""

from __future__ import annotations

from mcp.server.fastmcp import FastMCP

server = FastMCP("tiny")


@server.tool()
def shout(text: str) -> str:
    """Say the text in capitals."""
    return text.upper()


@server.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


if __name__ == "__main__":
    server.run("stdio")
