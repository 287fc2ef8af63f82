-- The customer directory of the evidence library shows each customer's last
-- interview that has a highlight: read from the end of the customer's
-- interviews by date, the first one with a highlight answers, instead of
-- joining every highlight of the workspace with its interview.
create index interviews_by_customer on interviews (workspace_id, customer_id, interview_date);
