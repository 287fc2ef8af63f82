-- Whether a highlight is its customer's first in an area (its reply is then
-- also sent to the channel) is asked when it is posted. Without this index
-- the question walked every earlier highlight of the workspace (the primary
-- key's range) for a customer's first highlight in an area: a cost that grew
-- with the data. Now it is one index step.
create index highlights_by_customer_area on highlights (workspace_id, customer_id, area_id, id);
