//! Ice protocol 1.0 messages (ICE-PROTOCOL.md sections 8 and 9): the 14-byte header, requests,
//! batch requests, replies, validate and close messages, and bzip2 compression.
//!
//! Everything here is a pure function over bytes, so it can be fuzzed and checked against the
//! captured vectors; sockets live in `connection`. Nothing here may panic or allocate more than
//! the announced (and already size-checked) message size on any input.

use crate::encoding::{EncodingVersion, InputStream, MarshalError, OutputStream};
use crate::error::{Error, Result};
use crate::identity::{Context, Identity, OperationMode, ReplyStatus};
use crate::incoming::{IncomingRequest, HEADER_SIZE};
use std::io::Read;
use std::sync::Arc;

/// The magic bytes every message starts with: `IceP`.
pub const MAGIC: [u8; 4] = [b'I', b'c', b'e', b'P'];

/// Messages at least this large are compressed when compression is wanted (Ice's threshold).
pub const COMPRESSION_THRESHOLD: usize = 100;

/// The validate-connection message (sent by servers first, and as a heartbeat).
pub const VALIDATE_CONNECTION: [u8; HEADER_SIZE] = [
    b'I',
    b'c',
    b'e',
    b'P',
    1,
    0,
    1,
    0,
    3,
    0,
    HEADER_SIZE as u8,
    0,
    0,
    0,
];

/// The close-connection message; Ice marks it with compression status 1.
pub const CLOSE_CONNECTION: [u8; HEADER_SIZE] = [
    b'I',
    b'c',
    b'e',
    b'P',
    1,
    0,
    1,
    0,
    4,
    1,
    HEADER_SIZE as u8,
    0,
    0,
    0,
];

/// The kind of a message (header byte 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageType {
    /// 0: a request (twoway, or oneway with request id 0).
    Request = 0,
    /// 1: a batch of oneway requests.
    BatchRequest = 1,
    /// 2: a reply.
    Reply = 2,
    /// 3: validate connection (also the ACM heartbeat).
    ValidateConnection = 3,
    /// 4: close connection.
    CloseConnection = 4,
}

impl MessageType {
    /// The type for a header byte.
    pub fn from_byte(b: u8) -> Option<MessageType> {
        Some(match b {
            0 => MessageType::Request,
            1 => MessageType::BatchRequest,
            2 => MessageType::Reply,
            3 => MessageType::ValidateConnection,
            4 => MessageType::CloseConnection,
            _ => return None,
        })
    }
}

/// A checked message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The message type.
    pub message_type: MessageType,
    /// The compression status: 0 (none, not wanted), 1 (none, but the sender accepts
    /// compressed replies), 2 (the body is bzip2-compressed).
    pub compression: u8,
    /// The size of the whole message, header included (as sent, i.e. compressed).
    pub size: usize,
}

impl Header {
    /// Whether the message has a body that may be compressed (requests, batches, replies);
    /// validate and close messages are never compressed, whatever their compression byte.
    pub fn carries_body(&self) -> bool {
        matches!(
            self.message_type,
            MessageType::Request | MessageType::BatchRequest | MessageType::Reply
        )
    }
}

/// Converts `Ice.MessageSizeMax` in KiB into a byte limit; 0 or negative means no limit.
pub fn message_size_limit(kib: i64) -> usize {
    if kib <= 0 {
        usize::MAX
    } else {
        usize::try_from(kib)
            .ok()
            .and_then(|k| k.checked_mul(1024))
            .unwrap_or(usize::MAX)
    }
}

/// Checks a header (magic, versions, type, size) against the byte limit `max`.
/// Errors say what was wrong; the connection must be closed after any of them.
pub fn parse_header(bytes: &[u8; HEADER_SIZE], max: usize) -> Result<Header> {
    if bytes[0..4] != MAGIC {
        return Err(Error::Protocol(format!(
            "bad magic {:02x} {:02x} {:02x} {:02x} (expected 49 63 65 50 \"IceP\")",
            bytes[0], bytes[1], bytes[2], bytes[3]
        )));
    }
    if bytes[4] != 1 || bytes[5] > 0 {
        return Err(Error::Protocol(format!(
            "unsupported protocol version {}.{}",
            bytes[4], bytes[5]
        )));
    }
    if bytes[6] != 1 || bytes[7] > 0 {
        return Err(Error::Protocol(format!(
            "unsupported protocol encoding version {}.{}",
            bytes[6], bytes[7]
        )));
    }
    let message_type = MessageType::from_byte(bytes[8])
        .ok_or_else(|| Error::Protocol(format!("unknown message type {}", bytes[8])))?;
    let compression = bytes[9];
    if compression > 2 {
        return Err(Error::Protocol(format!(
            "invalid compression status {compression}"
        )));
    }
    let size = i32::from_le_bytes([bytes[10], bytes[11], bytes[12], bytes[13]]);
    if size < HEADER_SIZE as i32 {
        return Err(Error::Protocol(format!(
            "illegal message size {size} (the header alone has 14 bytes)"
        )));
    }
    let size = size as usize;
    if size > max {
        return Err(Error::MemoryLimit { size, max });
    }
    if matches!(
        message_type,
        MessageType::ValidateConnection | MessageType::CloseConnection
    ) && size != HEADER_SIZE
    {
        return Err(Error::Protocol(format!(
            "{message_type:?} message of size {size} (must be 14)"
        )));
    }
    Ok(Header {
        message_type,
        compression,
        size,
    })
}

/// Undoes compression: given a whole message whose header says status 2, returns the whole
/// uncompressed message (header copied, size field patched, compression byte kept at 2 so the
/// receiver still knows that the peer accepts compressed replies). The uncompressed size is
/// checked against `max` before anything is allocated.
pub fn decompress(message: &[u8], max: usize) -> Result<Vec<u8>> {
    let (Some(header), Some(rest)) = (message.get(..HEADER_SIZE), message.get(HEADER_SIZE..))
    else {
        return Err(Error::Protocol(
            "compressed message shorter than its header".into(),
        ));
    };
    let mut input = InputStream::new(rest);
    let uncompressed = input.read_i32().map_err(|_| {
        Error::Protocol("compressed message too short for its uncompressed size".into())
    })?;
    if uncompressed <= HEADER_SIZE as i32 {
        return Err(Error::Protocol(format!(
            "illegal uncompressed message size {uncompressed}"
        )));
    }
    let uncompressed = uncompressed as usize;
    if uncompressed > max {
        return Err(Error::MemoryLimit {
            size: uncompressed,
            max,
        });
    }
    let body_len = uncompressed - HEADER_SIZE;
    // The vector grows with the data bzip2 really produces (a lie costs nothing up front).
    let mut out = Vec::with_capacity(uncompressed.min(1 << 20));
    out.extend_from_slice(header);
    let decoder = bzip2::read::BzDecoder::new(&rest[4..]);
    // Read one byte more than announced to detect a stream longer than its size field.
    decoder
        .take(body_len as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Protocol(format!("cannot decompress message: {e}")))?;
    if out.len() != uncompressed {
        return Err(Error::Protocol(format!(
            "decompressed message has {} bytes, its header announced {uncompressed}",
            out.len()
        )));
    }
    out[10..14].copy_from_slice(&(uncompressed as i32).to_le_bytes());
    Ok(out)
}

/// Compresses a whole message (header included) as Ice does when compression is wanted:
/// messages of [`COMPRESSION_THRESHOLD`] bytes or more get status 2 and a bzip2 body (unless
/// that would not be smaller); others get status 1 ("compressed replies are welcome").
pub fn compress(mut message: Vec<u8>, level: u32) -> Vec<u8> {
    if message.len() < HEADER_SIZE {
        return message;
    }
    if message.len() >= COMPRESSION_THRESHOLD {
        let mut encoder = bzip2::write::BzEncoder::new(
            Vec::with_capacity(message.len() / 2 + 64),
            bzip2::Compression::new(level.clamp(1, 9)),
        );
        let compressed = std::io::Write::write_all(&mut encoder, &message[HEADER_SIZE..])
            .and_then(|()| encoder.finish());
        if let Ok(body) = compressed {
            let total = HEADER_SIZE + 4 + body.len();
            if total < message.len() {
                let mut out = Vec::with_capacity(total);
                out.extend_from_slice(&message[..HEADER_SIZE]);
                out[9] = 2;
                out[10..14].copy_from_slice(&(total as i32).to_le_bytes());
                out.extend_from_slice(&(message.len() as i32).to_le_bytes());
                out.extend_from_slice(&body);
                return out;
            }
        }
    }
    message[9] = 1;
    message
}

/// Writes the 14-byte header of a message whose size is patched later by [`finish_message`].
pub fn write_header(out: &mut OutputStream, message_type: MessageType) {
    out.write_blob(&[
        b'I',
        b'c',
        b'e',
        b'P',
        1,
        0,
        1,
        0,
        message_type as u8,
        0,
        0,
        0,
        0,
        0,
    ]);
}

/// Patches the size field of a message built with [`write_header`].
pub fn finish_message(out: &mut OutputStream) {
    let size = out.len() as i32;
    if let Some(field) = out.as_mut_slice().get_mut(10..14) {
        field.copy_from_slice(&size.to_le_bytes());
    }
}

/// What a request carries besides its id: the fields shared by requests and batch requests.
#[derive(Clone, Debug)]
pub struct RequestFields<'a> {
    /// Target identity.
    pub identity: &'a Identity,
    /// Facet ("" for none).
    pub facet: &'a str,
    /// Operation name.
    pub operation: &'a str,
    /// The mode byte.
    pub mode: OperationMode,
    /// The context (written sorted by key, as the C++ core does).
    pub context: &'a Context,
    /// Encoding of the parameters.
    pub encoding: EncodingVersion,
    /// The parameter encapsulation's body.
    pub params: &'a [u8],
}

/// Writes identity, facet, operation, mode and context of a request: everything before the
/// parameter encapsulation.
pub fn write_request_prefix(
    out: &mut OutputStream,
    identity: &Identity,
    facet: &str,
    operation: &str,
    mode: OperationMode,
    context: &Context,
) {
    write_target(out, identity, facet, operation);
    out.write_u8(mode as u8);
    write_context(out, context);
}

/// Writes an identity, a facet (as the 0- or 1-element sequence) and an operation: the start
/// of a request, and the body of reply statuses 2 to 4.
pub fn write_target(out: &mut OutputStream, identity: &Identity, facet: &str, operation: &str) {
    out.write_string(&identity.name);
    out.write_string(&identity.category);
    if facet.is_empty() {
        out.write_size(0);
    } else {
        out.write_size(1);
        out.write_string(facet);
    }
    out.write_string(operation);
}

/// Writes identity, facet, operation, mode, context and parameters of a request.
pub fn write_request_fields(out: &mut OutputStream, r: &RequestFields<'_>) {
    write_request_prefix(out, r.identity, r.facet, r.operation, r.mode, r.context);
    out.write_i32((r.params.len() + 6) as i32);
    out.write_u8(r.encoding.major);
    out.write_u8(r.encoding.minor);
    out.write_blob(r.params);
}

/// Writes a context sorted by key.
pub fn write_context(out: &mut OutputStream, context: &Context) {
    let mut entries: Vec<(&String, &String)> = context.iter().collect();
    entries.sort();
    out.write_size(entries.len());
    for (k, v) in entries {
        out.write_string(k);
        out.write_string(v);
    }
}

/// A complete request message with id `request_id` (0 for oneway).
pub fn encode_request(request_id: i32, r: &RequestFields<'_>) -> Vec<u8> {
    let mut out = OutputStream::with_capacity(HEADER_SIZE + 64 + r.params.len());
    write_header(&mut out, MessageType::Request);
    out.write_i32(request_id);
    write_request_fields(&mut out, r);
    finish_message(&mut out);
    out.into_vec()
}

fn read_facet(input: &mut InputStream<'_>) -> Result<String, MarshalError> {
    match input.read_size()? {
        0 => Ok(String::new()),
        1 => input.read_string(),
        n => Err(input.error(format!("facet sequence has {n} elements (at most 1)"))),
    }
}

fn read_context(input: &mut InputStream<'_>) -> Result<Context, MarshalError> {
    let n = input.read_count(2)?;
    let mut ctx = Context::with_capacity(n);
    for _ in 0..n {
        let k = input.read_string()?;
        let v = input.read_string()?;
        ctx.insert(k, v);
    }
    Ok(ctx)
}

/// Reads one request (after its id, or one entry of a batch).
fn read_request_fields(
    input: &mut InputStream<'_>,
    body: &bytes::Bytes,
    request_id: i32,
    connection_description: &Arc<str>,
) -> Result<IncomingRequest, MarshalError> {
    let name = input.read_string()?;
    let category = input.read_string()?;
    let facet = read_facet(input)?;
    let operation = input.read_string()?;
    let mode_pos = input.pos();
    let mode_byte = input.read_u8()?;
    let mode = OperationMode::from_byte(mode_byte).ok_or_else(|| {
        MarshalError::new(mode_pos, format!("invalid operation mode {mode_byte}"))
    })?;
    let context = read_context(input)?;
    let encoding = input.start_encapsulation()?;
    // `input` reads `body`: the parameters are a view of it, not a copy.
    let params = body.slice_ref(input.read_blob(input.remaining())?);
    input.end_encapsulation()?;
    Ok(IncomingRequest {
        request_id,
        identity: Identity { name, category },
        facet,
        operation,
        mode,
        context,
        encoding,
        params,
        connection_description: Arc::clone(connection_description),
        connection: None,
    })
}

/// A decoded reply (ICE-PROTOCOL.md 8.4).
#[derive(Clone, Debug, PartialEq)]
pub struct ReplyMessage {
    /// The request id it answers.
    pub request_id: i32,
    /// The reply status and its data.
    pub body: ReplyBody,
}

/// The data of a reply, by status.
#[derive(Clone, Debug, PartialEq)]
pub enum ReplyBody {
    /// Status 0 (results) or 1 (user exception): an encapsulation.
    Encapsulation {
        /// 0 or 1.
        status: ReplyStatus,
        /// Encoding of the encapsulation.
        encoding: EncodingVersion,
        /// The encapsulation's body.
        payload: Vec<u8>,
    },
    /// Statuses 2 to 4: the failed request's identity, facet, and operation.
    NotExist {
        /// 2, 3 or 4.
        status: ReplyStatus,
        /// Identity.
        identity: Identity,
        /// Facet ("" for none).
        facet: String,
        /// Operation.
        operation: String,
    },
    /// Statuses 5 to 7: the text.
    Unknown {
        /// 5, 6 or 7.
        status: ReplyStatus,
        /// The text.
        text: String,
    },
}

impl ReplyBody {
    /// Converts a status of 2..7 into the runtime error the client raises; statuses 0 and 1
    /// give their encapsulation back.
    pub fn into_result(self) -> Result<(ReplyStatus, EncodingVersion, Vec<u8>)> {
        match self {
            ReplyBody::Encapsulation {
                status,
                encoding,
                payload,
            } => Ok((status, encoding, payload)),
            ReplyBody::NotExist {
                status,
                identity,
                facet,
                operation,
            } => Err(match status {
                ReplyStatus::FacetNotExist => Error::FacetNotExist {
                    identity,
                    facet,
                    operation,
                },
                ReplyStatus::OperationNotExist => Error::OperationNotExist {
                    identity,
                    facet,
                    operation,
                },
                _ => Error::ObjectNotExist {
                    identity,
                    facet,
                    operation,
                },
            }),
            ReplyBody::Unknown { status, text } => Err(match status {
                ReplyStatus::UnknownLocalException => Error::UnknownLocalException(text),
                ReplyStatus::UnknownUserException => Error::UnknownUserException(text),
                _ => Error::UnknownException(text),
            }),
        }
    }
}

fn read_reply(input: &mut InputStream<'_>) -> Result<ReplyMessage, MarshalError> {
    let request_id = input.read_i32()?;
    let status_pos = input.pos();
    let status_byte = input.read_u8()?;
    let status = ReplyStatus::from_byte(status_byte).ok_or_else(|| {
        MarshalError::new(status_pos, format!("unknown reply status {status_byte}"))
    })?;
    let body = match status {
        ReplyStatus::Ok | ReplyStatus::UserException => {
            let encoding = input.start_encapsulation()?;
            let payload = input.read_blob(input.remaining())?.to_vec();
            input.end_encapsulation()?;
            ReplyBody::Encapsulation {
                status,
                encoding,
                payload,
            }
        }
        ReplyStatus::ObjectNotExist
        | ReplyStatus::FacetNotExist
        | ReplyStatus::OperationNotExist => {
            let name = input.read_string()?;
            let category = input.read_string()?;
            let facet = read_facet(input)?;
            let operation = input.read_string()?;
            ReplyBody::NotExist {
                status,
                identity: Identity { name, category },
                facet,
                operation,
            }
        }
        ReplyStatus::UnknownLocalException
        | ReplyStatus::UnknownUserException
        | ReplyStatus::UnknownException => {
            // The text is written raw; accept bytes that are not UTF-8 rather than failing
            // the whole reply.
            let n = input.read_size()?;
            let bytes = input.read_blob(n)?;
            ReplyBody::Unknown {
                status,
                text: String::from_utf8_lossy(bytes).into_owned(),
            }
        }
    };
    Ok(ReplyMessage { request_id, body })
}

/// A whole decoded message.
#[derive(Debug)]
pub enum Message {
    /// A request (request id 0 for oneway).
    Request(IncomingRequest),
    /// A batch of oneway requests.
    BatchRequest(Vec<IncomingRequest>),
    /// A reply.
    Reply(ReplyMessage),
    /// Validate connection / heartbeat.
    ValidateConnection,
    /// Close connection.
    CloseConnection,
}

fn marshal_to_protocol(e: MarshalError) -> Error {
    Error::Protocol(format!("malformed message: {e}"))
}

fn check_fully_read(input: &InputStream<'_>) -> Result<()> {
    if input.remaining() != 0 {
        return Err(Error::Protocol(format!(
            "{} unexpected bytes at the end of the message",
            input.remaining()
        )));
    }
    Ok(())
}

/// Decodes the body of an uncompressed message of type `message_type` (`body` is everything
/// after the 14-byte header). Batch requests are limited to the count their bytes can hold.
pub fn decode_body(
    message_type: MessageType,
    body: &bytes::Bytes,
    connection_description: &Arc<str>,
) -> Result<Message> {
    let mut input = InputStream::new(body);
    let message = match message_type {
        MessageType::Request => {
            let id = input.read_i32().map_err(marshal_to_protocol)?;
            if id < 0 {
                return Err(Error::Protocol(format!("negative request id {id}")));
            }
            Message::Request(
                read_request_fields(&mut input, body, id, connection_description)
                    .map_err(marshal_to_protocol)?,
            )
        }
        MessageType::BatchRequest => {
            let count = input.read_i32().map_err(marshal_to_protocol)?;
            // Each request has at least 2 + 1 + 1 + 1 + 1 + 6 bytes.
            if count < 0 || (count as usize).saturating_mul(12) > input.remaining() {
                return Err(Error::Protocol(format!(
                    "invalid batch request count {count}"
                )));
            }
            let mut requests = Vec::with_capacity(count as usize);
            for _ in 0..count {
                requests.push(
                    read_request_fields(&mut input, body, 0, connection_description)
                        .map_err(marshal_to_protocol)?,
                );
            }
            Message::BatchRequest(requests)
        }
        MessageType::Reply => Message::Reply(read_reply(&mut input).map_err(marshal_to_protocol)?),
        MessageType::ValidateConnection => Message::ValidateConnection,
        MessageType::CloseConnection => Message::CloseConnection,
    };
    check_fully_read(&input)?;
    Ok(message)
}

/// Decodes one whole message (header included, possibly compressed) against the byte limit
/// `max`: the single entry point used by the fuzzer and the vector tests.
pub fn read_message(bytes: &[u8], max: usize) -> Result<Message> {
    let header_bytes: &[u8; HEADER_SIZE] = bytes
        .get(..HEADER_SIZE)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| {
            Error::Protocol(format!("message of {} bytes has no header", bytes.len()))
        })?;
    let header = parse_header(header_bytes, max)?;
    let no_connection: Arc<str> = Arc::from("");
    if header.size != bytes.len() {
        return Err(Error::Protocol(format!(
            "header announces {} bytes, the message has {}",
            header.size,
            bytes.len()
        )));
    }
    if header.compression == 2 && header.carries_body() {
        let message = decompress(bytes, max)?;
        let body = bytes::Bytes::from(message).slice(HEADER_SIZE..);
        decode_body(header.message_type, &body, &no_connection)
    } else {
        let body = bytes::Bytes::copy_from_slice(&bytes[HEADER_SIZE..]);
        decode_body(header.message_type, &body, &no_connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_checks() {
        let max = message_size_limit(1024);
        assert!(parse_header(&VALIDATE_CONNECTION, max).is_ok());
        let mut bad = VALIDATE_CONNECTION;
        bad[0] = b'X';
        assert!(matches!(parse_header(&bad, max), Err(Error::Protocol(_))));
        let mut small = VALIDATE_CONNECTION;
        small[10] = 13;
        assert!(parse_header(&small, max).is_err());
        let mut big = VALIDATE_CONNECTION;
        big[8] = 0;
        big[10..14].copy_from_slice(&(2 * 1024 * 1024i32).to_le_bytes());
        assert!(matches!(
            parse_header(&big, max),
            Err(Error::MemoryLimit { .. })
        ));
    }

    #[test]
    fn compression_round_trip() {
        let ctx = Context::new();
        let params = vec![b'a'; 400];
        let id = Identity::new("x");
        let msg = encode_request(
            7,
            &RequestFields {
                identity: &id,
                facet: "",
                operation: "op",
                mode: OperationMode::Normal,
                context: &ctx,
                encoding: crate::encoding::ENCODING_1_1,
                params: &params,
            },
        );
        let compressed = compress(msg.clone(), 1);
        assert_eq!(compressed[9], 2);
        assert!(compressed.len() < msg.len());
        let back = decompress(&compressed, usize::MAX).unwrap();
        assert_eq!(back[HEADER_SIZE..], msg[HEADER_SIZE..]);
        let small = compress(VALIDATE_CONNECTION.to_vec(), 1);
        assert_eq!(small[9], 1);
    }
}
