"""What happens when a message cannot be delivered: reroute, follow, or tell who must know."""
