using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SessionMesh.Silo.Api.Auth;

/// <summary>
/// The shape of a session key: <c>smk_{key id}_{secret}</c>. The key id (16 hex characters) finds
/// the key grain without any scan; the secret is 256 random bits, stored only as its SHA-256 hash.
/// </summary>
public static class SessionKeyToken
{
    private const string Prefix = "smk_";

    /// <summary>A new key id, the token to hand out once, and the hash of its secret to store.</summary>
    public static (string KeyId, string Token, byte[] SecretHash) Generate()
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (keyId, $"{Prefix}{keyId}_{secret}", Hash(secret));
    }

    /// <summary>Splits a token into key id and secret hash; false for anything not shaped like a key.</summary>
    public static bool TryParse(string token, out string keyId, out byte[] secretHash)
    {
        keyId = string.Empty;
        secretHash = [];
        if (token.Length is < 30 or > 200 || !token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = token.AsSpan(Prefix.Length);
        var separator = rest.IndexOf('_');
        if (separator != 16 || !rest[..16].ToString().All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        keyId = rest[..16].ToString();
        secretHash = Hash(rest[17..].ToString());
        return true;
    }

    /// <summary>The SHA-256 hash of a token's secret part (or of a whole configured key).</summary>
    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
