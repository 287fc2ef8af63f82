-- Full-text search merges its index as it is written: each commit adds a
-- small segment, and once a level holds `automerge` segments (4 by default)
-- part of a merge runs inside the next commits. At 4, every highlight's
-- entries are rewritten about log4(n) times, and the merge work done in each
-- commit grows with the number of levels: a capture into a workspace of a
-- million highlights cost about twice one into ten thousand, the difference
-- almost all merging (benches/README.md). At 16 they are rewritten about
-- log16(n) times, and the cost stays flat; a search reads more segments,
-- which measured no slower at a million highlights.
--
-- `crisismerge` is the count at which a level is merged whole, at once,
-- inside one commit: it stays above `automerge` so that merges stay spread
-- over commits.
insert into highlights_fts (highlights_fts, rank) values ('automerge', 16);
insert into highlights_fts (highlights_fts, rank) values ('crisismerge', 32);
