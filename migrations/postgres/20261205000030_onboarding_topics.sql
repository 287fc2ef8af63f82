-- Interviews with a purpose (design.md, Behaviour): the question an
-- onboardee's interviews and month-end report answer, set by a manager
-- (`topic @user "…"`, or `onboard @user … topic "…"`); null: none.
alter table onboardees add column topic text;
