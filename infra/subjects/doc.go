// Package subjects keeps the per-subject keys that encrypt personal data
// (a ticket contact's name, e-mail and phone) and seals and opens the
// encrypted values. Destroying a subject's key erases its data wherever the
// ciphertext went — the log, its backups, evidence exports — without
// changing a byte of the log, so every hash, signature and seal over it
// still verifies ("crypto-shredding").
//
// # Subjects
//
// A subject is one contact person, identified by the contact's e-mail
// address, trimmed and lower-cased (NormalizeEmail). Its id is random
// ("sub-" + 32 hex digits) and is all the log holds about who the subject
// is: the e-mail itself is never stored in plaintext, neither in the log nor
// in the key store.
//
// # The key store (FileStore)
//
// A directory outside the event log (by default DATA/subject-keys), mode
// 0700, holding
//
//	index.secret      32 random bytes: the HMAC-SHA-256 key of the e-mail index
//	keys/<id>         one subject: its 256-bit key and its index name, hex, one per line
//	index/<mac>       the subject id of the e-mail whose HMAC (hex) is <mac>
//
// Destroy removes both files of a subject (and syncs the directories), so
// after it neither the key nor the link from the e-mail to the subject id
// exists in the store. Files are written to a temporary name, synced and
// renamed. A FileStore keeps the keys it has read or made in memory (up to
// 16,384), but before each use of one it checks that the subject's key file
// still exists (a stat: no open, no read), so a subject destroyed by one
// process is unusable in every process sharing the directory at its next
// use; the process that destroys it forgets it before removing the file.
//
// A backup of the directory holds every key it held when taken, for as long
// as the backup is kept: back the key store up separately from the data,
// with a retention limit.
//
// # Sealed values
//
// A sealed value is the text
//
//	pii1:<subject id>:<base64url, no padding, of nonce ‖ ciphertext>
//
// AES-256-GCM with a random 96-bit nonce; the additional data is
// "ticketledger.pii.v1" 0x00 <subject id> 0x00 <field name>, so a value
// cannot be moved to another subject or another field. Empty values are
// not sealed (an absent phone stays "").
package subjects
