from __future__ import annotations

from bots.discord.render import MESSAGE_LIMIT, split_message


def test_short_text_is_one_chunk():
    assert split_message("hello") == ["hello"]
    assert split_message("") == []


def test_splits_on_paragraph_boundaries():
    paragraphs = [f"paragraph {i} " + "x" * 600 for i in range(8)]
    chunks = split_message("\n\n".join(paragraphs))
    assert all(len(c) <= MESSAGE_LIMIT for c in chunks)
    assert len(chunks) == 3
    rebuilt = "\n\n".join(chunks)
    assert rebuilt == "\n\n".join(paragraphs)  # nothing lost, cut only between paragraphs


def test_long_code_block_is_closed_and_reopened():
    code = "\n".join(f"print({i})  # {'y' * 30}" for i in range(150))
    text = f"Here is the script:\n\n```python\n{code}\n```\n\nThat's it."
    chunks = split_message(text)
    assert len(chunks) >= 3 and all(len(c) <= MESSAGE_LIMIT for c in chunks)
    for chunk in chunks:
        assert chunk.count("```") % 2 == 0, chunk[:80]  # every chunk renders on its own
    assert chunks[1].startswith("```python")
    body = "\n".join(chunks)
    assert all(f"print({i})" in body for i in range(150))


def test_a_single_huge_line_is_hard_split():
    chunks = split_message("z" * 5000)
    assert all(len(c) <= MESSAGE_LIMIT for c in chunks)
    assert "".join(chunks).count("z") == 5000
