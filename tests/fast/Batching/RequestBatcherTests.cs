using SessionMesh.Batching;

namespace SessionMesh.Tests.Batching;

/// <summary>
/// Requests that arrive while the allowed batches are out wait and go together in the next one;
/// each caller gets its own answer, in order, whatever the batch's size.
/// </summary>
public sealed class RequestBatcherTests
{
    [Fact]
    public async Task Requests_that_arrive_while_the_batches_are_out_go_together_in_the_next_one()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = new List<int[]>();
        var twoOut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batcher = new RequestBatcher<int, string>(
            async batch =>
            {
                lock (sent)
                {
                    sent.Add(batch);
                    if (sent.Count == 2)
                    {
                        twoOut.TrySetResult();
                    }
                }

                await held.Task;
                return [.. batch.Select(n => $"answer {n}")];
            },
            maxBatch: 5,
            maxInFlight: 2);

        // Two batches go out (one request each) and are held; twelve more wait behind them.
        var first = batcher.SendAsync(0);
        await WhenSentAsync(sent, 1);
        var second = batcher.SendAsync(1);
        await twoOut.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var waiting = Enumerable.Range(2, 12).Select(n => batcher.SendAsync(n)).ToArray();
        held.SetResult();

        var answers = await Task.WhenAll(new[] { first, second }.Concat(waiting));
        Assert.Equal(Enumerable.Range(0, 14).Select(n => $"answer {n}"), answers);
        Assert.Equal([[0], [1]], sent.Take(2));
        // All twelve were waiting when the two batches came back: each of the two senders takes
        // up to five, then one takes the last two. Each request went once.
        Assert.Equal([2, 5, 5], sent.Skip(2).Select(b => b.Length).Order());
        Assert.Equal(Enumerable.Range(2, 12), sent.Skip(2).SelectMany(b => b).Order());
        Assert.Equal(5, batcher.Batches);
    }

    [Fact]
    public async Task A_batch_that_fails_fails_each_of_its_requests_and_the_next_batch_still_goes()
    {
        var calls = 0;
        var batcher = new RequestBatcher<int, int>(
            batch => Interlocked.Increment(ref calls) == 1
                ? throw new TimeoutException("the database did not answer")
                : Task.FromResult(batch.Select(n => n * 10).ToArray()),
            maxBatch: 100);

        var failed = await Assert.ThrowsAsync<TimeoutException>(() => batcher.SendAsync(1));
        Assert.Equal("the database did not answer", failed.Message);
        Assert.Equal(70, await batcher.SendAsync(7));
    }

    [Fact]
    public async Task A_batch_answered_with_the_wrong_number_of_answers_fails_rather_than_misanswer()
    {
        var batcher = new RequestBatcher<int, int>(_ => Task.FromResult(new[] { 1, 2 }), maxBatch: 100);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.SendAsync(1));
        Assert.Contains("1 requests got 2 answers", error.Message, StringComparison.Ordinal);
    }

    private static Task WhenSentAsync(List<int[]> sent, int count) =>
        SessionMesh.Tests.Infrastructure.Eventually.UntilAsync(() =>
        {
            lock (sent)
            {
                return sent.Count >= count;
            }
        });
}
