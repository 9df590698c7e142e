namespace Horodate.Core.Protocol;

/// <summary>What a line of the wire protocol turned out to be.</summary>
public enum LineStatus
{
    /// <summary>A value: 1 to 18 ASCII digits.</summary>
    Value = 0,

    /// <summary>An empty line (or a lone <c>\r</c>): ignored, not an error.</summary>
    Empty,

    /// <summary>Rejected: a byte that is not an ASCII digit (a sign, a space, a letter, binary data).</summary>
    NotANumber,

    /// <summary>Rejected: more than <see cref="LineDecoder.MaxDigits"/> digits.</summary>
    TooManyDigits,

    /// <summary>Rejected: longer than <see cref="LineDecoder.MaxLineLength"/> bytes; discarded up to its newline.</summary>
    TooLong,

    /// <summary>Rejected: the connection ended in the middle of the line, which is never taken as a value.</summary>
    Truncated,
}
