"""From an article to reviewed candidate events: the rules, matching places, and evaluation on unseen text."""
