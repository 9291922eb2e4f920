"""``TOOL_SCHEMAS``: the OpenAI function tools (nested JSON parameters) conversations are drawn with.

Both the strategies (``harness.strategies.tools`` draws from them) and the template probe (which finds the schema shape
in which they render) need them; they live here, below both, so that the probe never imports the strategies.
"""

from __future__ import annotations

TOOL_SCHEMAS: tuple[dict, ...] = (
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a location.",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "City name"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "options": {
                        "type": "object",
                        "properties": {"hourly": {"type": "boolean"}, "days": {"type": "integer"}},
                    },
                },
                "required": ["location"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search_documents",
            "description": "Search a document store.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "filters": {
                        "type": "object",
                        "properties": {
                            "tags": {"type": "array", "items": {"type": "string"}},
                            "date_range": {
                                "type": "object",
                                "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
                            },
                        },
                    },
                    "limit": {"type": "integer"},
                },
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "create_event",
            "description": "Create a calendar event.",
            "parameters": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "attendees": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
                        },
                    },
                    "metadata": {"type": "object"},
                },
                "required": ["title"],
            },
        },
    },
)
