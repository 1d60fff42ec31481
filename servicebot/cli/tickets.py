"""`servicebot tickets list|show`: tickets and their histories, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from servicebot.bootstrap import Services
from servicebot.cli.options import desk_option, queue_option
from servicebot.console.render import ticket_line
from servicebot.domain.tickets import Status, Ticket, parse_ref
from servicebot.services.queries import TicketFilter


def run(args: argparse.Namespace, services: Services) -> int:
    tz = services.settings.tz
    if args.tickets_command == "list":
        desk_option(services.settings, args.desk)
        queue_option(services.settings, args.queue)
        where = TicketFilter(
            statuses=tuple(Status(s) for s in args.status),
            desk=args.desk,
            queue=args.queue,
            assignee=args.assignee,
            limit=args.limit,
        )
        found = services.queries.search(where)
        if args.format == "json":
            print(json.dumps([_ticket_json(t) for t in found], indent=2))
        else:
            for ticket in found:
                print(ticket_line(ticket, services.catalogue, tz))
            if not found:
                print("No tickets match.")
        return 0
    ticket_id = parse_ref(args.ticket)
    ticket = services.queries.get(ticket_id)
    events = services.queries.history(ticket_id)
    if args.format == "json":
        data = _ticket_json(ticket)
        data["history"] = [
            {
                "seq": e.seq,
                "kind": e.kind.value,
                "actor": e.actor,
                "at": e.at.isoformat(),
                "from": e.from_value,
                "to": e.to_value,
                "data": e.data,
            }
            for e in events
        ]
        print(json.dumps(data, indent=2))
        return 0
    print(ticket_line(ticket, services.catalogue, tz))
    print(f"  text: {ticket.text}")
    for e in events:
        change = f" {e.from_value or '-'} -> {e.to_value}" if e.to_value is not None else ""
        print(f"  {e.seq:>3} {e.at.astimezone(tz):%Y-%m-%d %H:%M %Z} {e.kind.value:<18} {e.actor}{change}")
        for label, words in e.said():
            print(f"        {label}: {words}")
    return 0


def _ticket_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.ref,
        "desk": ticket.desk,
        "status": ticket.status.value,
        "intent": ticket.intent,
        "queue": ticket.queue,
        "priority": ticket.priority,
        "confidence": ticket.confidence,
        "assignee": ticket.assignee,
        "requester": ticket.requester,
        "text": ticket.text,
        "created_at": ticket.created_at.isoformat(),
        "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None,
        "rating": ticket.rating,
    }
