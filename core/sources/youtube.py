"""Placeholder: filled in by its issue (video_id is a minimal version)."""
import re


def video_id(text: str) -> str:
    m = re.search(r"(?:v=|youtu\.be/|shorts/|embed/|live/)([A-Za-z0-9_-]{11})", text)
    if m:
        return m.group(1)
    if re.fullmatch(r"[A-Za-z0-9_-]{11}", text.strip()):
        return text.strip()
    raise ValueError(f"not a YouTube video URL or id: {text!r}")
