"""The embedded chat agent (``KREV_CHAT_ENGINE=studio``): a message read without a model into a
plan of tool calls (``planner.StudioPlanner``), concepts' image ideas that the chat domain's
``write_concepts`` shares with it (``ideas``), and the reply written from what the calls
returned (``reply``)."""
