-- An interviewer's interviews by date: the onboarding count of a window and
-- the App Home's recent customers read a range, not every interview they held.
create index interviews_by_interviewer on interviews (workspace_id, interviewer, interview_date);
