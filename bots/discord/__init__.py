"""Discord front end: chat in DMs and mentions, slash commands, decision buttons."""
