namespace SessionMesh.Batching;

/// <summary>
/// Gathers concurrent requests into batches. At most <c>maxInFlight</c> batches are out at once;
/// requests that arrive while they are out — and those the process's thread pool already has
/// queued when a batch is taken — go together in the next one. A lone request is sent at once (one
/// thread-pool turn later), so batching costs no waiting when there is nothing to batch with.
/// </summary>
/// <remarks>
/// A batch that fails fails each of its requests with the same exception; callers that need their
/// own outcome then retry alone. A caller that cancels stops waiting; its request may still be sent.
/// </remarks>
public sealed class RequestBatcher<TRequest, TAnswer>
{
    private readonly Func<TRequest[], Task<TAnswer[]>> _send;
    private readonly int _maxBatch;
    private readonly int _maxInFlight;
    private readonly Queue<Waiting> _queue = new();
    private int _sending;
    private long _batches;

    /// <param name="send">Sends one batch; answers in the requests' order, one per request.</param>
    /// <param name="maxBatch">The most requests one batch carries.</param>
    /// <param name="maxInFlight">Batches out at once.</param>
    public RequestBatcher(Func<TRequest[], Task<TAnswer[]>> send, int maxBatch, int maxInFlight = 1)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _send = send;
        _maxBatch = maxBatch;
        _maxInFlight = maxInFlight;
    }

    /// <summary>Batches sent so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Sends <paramref name="request"/> in the next batch and returns its answer.</summary>
    public Task<TAnswer> SendAsync(TRequest request, CancellationToken cancellationToken = default)
    {
        var waiting = new Waiting(request);
        bool startSender;
        lock (_queue)
        {
            _queue.Enqueue(waiting);
            startSender = _sending < _maxInFlight;
            if (startSender)
            {
                _sending++;
            }
        }

        if (startSender)
        {
            _ = SendQueuedAsync();
        }

        return cancellationToken.CanBeCanceled ? waiting.Answer.Task.WaitAsync(cancellationToken) : waiting.Answer.Task;
    }

    // Sends the queue, batch after batch, until it is empty; at most _maxInFlight of these run.
    private async Task SendQueuedAsync()
    {
        while (true)
        {
            // Work already queued on the thread pool runs first: the requests it carries join this batch.
            await Task.Yield();
            Waiting[] batch;
            lock (_queue)
            {
                if (_queue.Count == 0)
                {
                    _sending--;
                    return;
                }

                batch = new Waiting[Math.Min(_queue.Count, _maxBatch)];
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i] = _queue.Dequeue();
                }
            }

            Interlocked.Increment(ref _batches);
            try
            {
                var answers = await _send([.. batch.Select(w => w.Request)]);
                if (answers.Length != batch.Length)
                {
                    throw new InvalidOperationException($"a batch of {batch.Length} requests got {answers.Length} answers.");
                }

                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i].Answer.TrySetResult(answers[i]);
                }
            }
#pragma warning disable CA1031 // Whatever the batch threw is each of its requests' outcome.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                foreach (var waiting in batch)
                {
                    waiting.Answer.TrySetException(ex);
                }
            }
        }
    }

    private sealed class Waiting(TRequest request)
    {
        public TRequest Request { get; } = request;

        // Answered off the sending loop, so callers' continuations never run inside it.
        public TaskCompletionSource<TAnswer> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
