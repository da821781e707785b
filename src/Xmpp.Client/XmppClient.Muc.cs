using System.Collections.Concurrent;
using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client;

/// <summary>Why a room could not be joined (XEP-0045 §7.2).</summary>
public enum MucJoinFailure
{
    /// <summary>The nickname is taken, also after the retries with a suffix.</summary>
    NicknameConflict,
    /// <summary>Banned from the room.</summary>
    Forbidden,
    /// <summary>Members-only room and this account is not a member.</summary>
    RegistrationRequired,
    /// <summary>The room does not exist and this account may not create it.</summary>
    NotAllowed,
    /// <summary>A password is required or was wrong.</summary>
    NotAuthorized,
    /// <summary>The room is full or the service is unavailable.</summary>
    ServiceUnavailable,
    /// <summary>The room is locked or does not exist.</summary>
    ItemNotFound,
    Other,
}

/// <summary>A room could not be joined; <see cref="Failure"/> says why in terms a user can act on.</summary>
public sealed class MucJoinException : XmppStanzaErrorException
{
    public MucJoinException(Jid room, MucJoinFailure failure, StanzaError error)
        : base(error, $"Could not join the room '{room}' ({Advice(failure)})")
    {
        Room = room;
        Failure = failure;
    }

    public Jid Room { get; }

    public MucJoinFailure Failure { get; }

    private static string Advice(MucJoinFailure failure) => failure switch
    {
        MucJoinFailure.NicknameConflict => "the nickname is in use; choose another with name=",
        MucJoinFailure.Forbidden => "this account is banned from the room",
        MucJoinFailure.RegistrationRequired => "the room is members-only; ask an admin to add this account",
        MucJoinFailure.NotAllowed => "the room does not exist and this account may not create it",
        MucJoinFailure.NotAuthorized => "the room needs a password",
        MucJoinFailure.ServiceUnavailable => "the room is full or the service is unavailable",
        MucJoinFailure.ItemNotFound => "the room does not exist or is locked",
        _ => "the room refused the join",
    };

    internal static MucJoinFailure Classify(string condition) => condition switch
    {
        "conflict" => MucJoinFailure.NicknameConflict,
        "forbidden" => MucJoinFailure.Forbidden,
        "registration-required" => MucJoinFailure.RegistrationRequired,
        "not-allowed" => MucJoinFailure.NotAllowed,
        "not-authorized" => MucJoinFailure.NotAuthorized,
        "service-unavailable" => MucJoinFailure.ServiceUnavailable,
        "item-not-found" => MucJoinFailure.ItemNotFound,
        _ => MucJoinFailure.Other,
    };
}

/// <summary>A joined room: its JID and the nickname the room assigned.</summary>
public sealed record MucRoom(Jid Room, string Nickname);

public sealed partial class XmppClient
{
    private const int NicknameAttempts = 3;
    private readonly ConcurrentDictionary<Jid, PendingJoin> _pendingJoins = new();
    private readonly ConcurrentDictionary<Jid, string> _joinedRooms = new();

    /// <summary>
    /// Joins a room (XEP-0045 §7.2) without history and waits for the room's own-presence (status 110). On a nickname
    /// conflict it retries with a numbered suffix. Errors map to <see cref="MucJoinException"/>.
    /// </summary>
    public async Task<MucRoom> JoinRoomAsync(Jid room, string nickname, string? password = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentException.ThrowIfNullOrWhiteSpace(nickname);
        room = room.Bare;
        for (var attempt = 1; ; attempt++)
        {
            var nick = attempt == 1 ? nickname : $"{nickname}_{attempt}";
            var pending = new PendingJoin(nick);
            _pendingJoins[room] = pending;
            try
            {
                var secret = password is null ? "" : $"<password>{XmlStreamWriter.EscapeText(password)}</password>";
                var to = XmlStreamWriter.EscapeAttribute(room.WithResource(nick).ToString());
                await SendStanzaAsync($"<presence to='{to}'><x xmlns='{Namespaces.Muc}'><history maxstanzas='0'/>{secret}</x></presence>", null, cancellationToken).ConfigureAwait(false);
                var answer = await WaitAsync(pending.Done.Task, $"the room {room} to confirm the join", cancellationToken).ConfigureAwait(false);
                if (answer.Error is null)
                {
                    _joinedRooms[room] = answer.Nickname;
                    return new MucRoom(room, answer.Nickname);
                }
                var failure = MucJoinException.Classify(answer.Error.Condition);
                if (failure == MucJoinFailure.NicknameConflict && attempt < NicknameAttempts)
                    continue;
                throw new MucJoinException(room, failure, answer.Error);
            }
            finally
            {
                _pendingJoins.TryRemove(new KeyValuePair<Jid, PendingJoin>(room, pending));
            }
        }
    }

    /// <summary>Leaves a room (unavailable presence). The server also does this when the stream closes.</summary>
    public Task LeaveRoomAsync(MucRoom room, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        _joinedRooms.TryRemove(room.Room, out _);
        var to = XmlStreamWriter.EscapeAttribute(room.Room.WithResource(room.Nickname).ToString());
        return SendStanzaAsync($"<presence to='{to}' type='unavailable'/>", null, cancellationToken);
    }

    private bool IsOwnOccupant(Jid from) =>
        from.Resource is { } nick && _joinedRooms.TryGetValue(from.Bare, out var ours) && string.Equals(ours, nick, StringComparison.Ordinal);

    private void OnPresence(XElement presence)
    {
        if (Stanzas.ParseJid((string?)presence.Attribute("from")) is not { Resource: { } nick } from)
            return;
        if (!_pendingJoins.TryGetValue(from.Bare, out var pending))
            return;
        if (Stanzas.ReadError(presence) is { } error)
        {
            pending.Done.TrySetResult(new JoinAnswer(pending.Nickname, error));
            return;
        }
        var statuses = presence.Element(XName.Get("x", Namespaces.MucUser))?.Elements(XName.Get("status", Namespaces.MucUser))
            .Select(s => (string?)s.Attribute("code")) ?? [];
        // Status 110 marks the occupant's own presence, the last one of the join; the room may have changed the nick (210).
        if (statuses.Contains("110") || (string.Equals(nick, pending.Nickname, StringComparison.Ordinal) && (string?)presence.Attribute("type") != "unavailable"))
            pending.Done.TrySetResult(new JoinAnswer(nick, null));
    }

    private void FailPendingJoins(Exception reason)
    {
        foreach (var pending in _pendingJoins.Values)
            pending.Done.TrySetException(reason);
    }

    private sealed record JoinAnswer(string Nickname, StanzaError? Error);

    private sealed class PendingJoin(string nickname)
    {
        public string Nickname { get; } = nickname;

        public TaskCompletionSource<JoinAnswer> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
