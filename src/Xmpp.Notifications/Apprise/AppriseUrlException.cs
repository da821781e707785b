namespace Xmpp.Notifications.Apprise;

/// <summary>Which part of an Apprise XMPP URL an <see cref="AppriseUrlException"/> is about.</summary>
public enum AppriseUrlPart
{
    Scheme,
    User,
    Password,
    Host,
    Port,
    Target,
    Parameter,
}

/// <summary>
/// An Apprise XMPP URL (or a target for one) that cannot be used. <see cref="Part"/> names the part that is wrong,
/// <see cref="ParameterName"/> the query parameter when <see cref="Part"/> is <see cref="AppriseUrlPart.Parameter"/>.
/// The message never contains the password: the parser never quotes the user-info, and scrubs the password from
/// any message as a second line of defence.
/// </summary>
public sealed class AppriseUrlException : FormatException
{
    public AppriseUrlException()
        : this(AppriseUrlPart.Scheme, null, "The Apprise XMPP URL is not valid.")
    {
    }

    public AppriseUrlException(string message)
        : this(AppriseUrlPart.Scheme, null, message)
    {
    }

    public AppriseUrlException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AppriseUrlException(AppriseUrlPart part, string? parameterName, string message)
        : base(message)
    {
        Part = part;
        ParameterName = parameterName;
    }

    public AppriseUrlPart Part { get; }

    public string? ParameterName { get; }
}
