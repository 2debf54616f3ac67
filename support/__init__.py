"""Tickets, live chat, FAQ and tutorials, surveys and feedback."""
