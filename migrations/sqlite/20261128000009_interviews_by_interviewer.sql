-- An interviewer's interviews by date: the onboarding count of a window reads
-- a range, not every interview they held. It ends with the customer so that it
-- also finds one interview exactly, as the unique key does (a planner choosing
-- it for a lookup by the full key must not scan the day's interviews).
create index interviews_by_interviewer on interviews (workspace_id, interviewer, interview_date, customer_id);
