-- The provider needs one boolean row whether or not a row matched, and SQLite cannot count a
-- DELETE's RETURNING rows in one statement. So: the delete, then changes() on the same connection.
-- Neither opens a transaction, so a failure leaves nothing half-done on the pooled connection.
DELETE FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName AND Version = @Version;
SELECT changes() > 0;
