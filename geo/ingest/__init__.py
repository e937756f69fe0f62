"""From an article to reviewed candidate events, by rules a person can read.

candidates (the reading: `candidates_from_text`, `candidates_within`) splits the text into sentences
(sentences), finds the event types each reports (rules), its dates (dates), numbers of people (numbers)
and places (places), builds validated candidates and marks those the text supports as `suggested`
(suggest); review turns them into editable rows and back;
matching says which existing event a candidate reports; evaluation scores the reading on unseen articles.
One way only: sentences, rules and numbers import no other ingest module, dates and places only sentences,
suggest only rules, candidates those six, evaluation candidates; review only suggest; matching none.
"""
