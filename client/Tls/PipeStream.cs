using System.Buffers;
using System.IO.Pipelines;

namespace SessionMesh.Client.Tls;

/// <summary>
/// The raw connection (an <see cref="IDuplexPipe"/>) seen as a <see cref="Stream"/>, so that
/// <see cref="System.Net.Security.SslStream"/> can run over it. Reads drain the transport's input,
/// writes go to its output and are flushed at once (TLS records must leave as they are produced).
/// Disposing it does not complete the transport: the connection that owns the transport closes it.
/// </summary>
internal sealed class PipeStream(IDuplexPipe transport) : Stream
{
    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await transport.Input.ReadAsync(cancellationToken);
            var available = result.Buffer;
            if (result.IsCanceled)
            {
                transport.Input.AdvanceTo(available.Start);
                throw new OperationCanceledException("The read from the connection was cancelled.");
            }

            if (!available.IsEmpty)
            {
                // A zero-byte read (SslStream waits for data that way) consumes and examines nothing.
                var count = (int)Math.Min(available.Length, buffer.Length);
                available.Slice(0, count).CopyTo(buffer.Span);
                transport.Input.AdvanceTo(available.GetPosition(count));
                return count;
            }

            transport.Input.AdvanceTo(available.Start, available.End);
            if (result.IsCompleted)
            {
                return 0; // the peer closed the connection
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var result = await transport.Output.WriteAsync(buffer, cancellationToken);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The write to the connection was cancelled.");
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => transport.Output.FlushAsync(cancellationToken).AsTask();

    // SslStream uses the asynchronous members only; blocking calls would tie up a thread per connection.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Use ReadAsync.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Use WriteAsync.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
