// Package xmlrpc encodes and parses XML-RPC messages the way Supervisor's
// daemon and supervisorctl exchange them. It is pure: no I/O, no state.
//
// Values are plain Go values. Parsing yields int, bool, string, float64,
// time.Time (UTC), []byte (base64), []any (array), map[string]any (struct)
// and nil. Encoding accepts those plus the other integer and float kinds,
// []string, []Struct, and Struct, whose members keep the order the caller
// gives (Python marshals dicts in insertion order and Supervisor's
// process-info dicts have a fixed one); maps are encoded in sorted key order.
//
// Encoded messages are byte for byte what Python's xmlrpc.client.dumps
// writes (with allow_none=True), except where Python would write something
// that is not XML or that would not read back the same:
//
//   - ints are written as <int> whatever their size; Python refuses ints
//     outside 32 bits, which breaks Supervisor once times pass 2038 or log
//     offsets pass 2 GiB. Python's parsers read big <int>s fine; this
//     one reads those that fit in an int64.
//   - nil is <value><nil/></value> (Python's allow_none form, no newline
//     after it). Supervisor itself never sends it but both of its parsers
//     read it as None.
//   - text that XML cannot carry (invalid UTF-8, control characters other
//     than tab, newline and carriage return, U+FFFE, U+FFFF) becomes U+FFFD;
//     Python writes it raw and the reader then fails on the whole message.
//   - a carriage return is written as &#13;, since XML readers turn a raw
//     one into a newline.
//   - the method name is escaped like other text; Python writes it raw.
//   - a time.Time is written in its own location, to the second; years
//     outside 0000-9999 have no XML-RPC form.
//
// Encoding a value of any other type, a time out of range, or arrays and
// structs nested deeper than 100 (a cycle, say) is a programming error and
// panics.
//
// Parsing accepts what Python writes and what Supervisor's request parser
// reads, within these limits. Types are int, i4, i8, boolean ("0" or "1"
// only), string, double, dateTime.iso8601, base64, array, struct and nil,
// matched on the local name so that ex:nil works; a <value> with no type
// element is a string, and any other type is an error (Supervisor would
// read its text as a string). Ints are decimal, fit in 64 bits and may
// have white space around them (Python's int() also takes underscores and
// non-ASCII digits); doubles follow Python's float(). Base64 may contain
// white space. A call needs a method name (ErrNoMethod)
// but not <params>; a response needs exactly one param or a fault with an
// int faultCode and a string faultString. DOCTYPEs are refused, so no
// entity is ever expanded, and an XML declaration must come first; UTF-8,
// ISO-8859-1 and US-ASCII documents are read. Arrays and structs nest at
// most 100 deep. The work done is linear in the input, and no input makes
// the parser panic.
package xmlrpc
