package evidence

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"

	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// Trust is what the verifier holds from outside the bundle. The zero value
// trusts nothing: the bundle is then only checked to be self-consistent.
type Trust struct {
	// Keys are public keys given out of band (--trusted-key with a key);
	// Fingerprints are "SHA256:<hex>" fingerprints (--trusted-key with a
	// fingerprint). The tree head must be signed by one of them.
	Keys         []ed25519.PublicKey
	Fingerprints []string
	// Head is a checkpoint saved earlier (--trusted-head): the bundle's head
	// must be signed by the same key and be that head or a larger one.
	Head []byte
}

func (t Trust) anchored() bool { return len(t.Keys)+len(t.Fingerprints) > 0 || len(t.Head) > 0 }

func (v *verifier) checkTrust() {
	if !v.trust.anchored() {
		v.rep.TrustDetail = "self-consistent only: no trusted key or head given; anyone holding a signing key could have made this bundle, so compare the key fingerprint with one the ledger published"
		return
	}
	v.rep.TrustDetail = "NOT established: the trusted key or head does not match (see the problems)"
	if v.rep.Head == nil {
		v.fail(CheckTrust, CheckpointFile, nil, "nothing to check the trusted key or head against: the checkpoint did not verify", "", "")
		return
	}
	fp := v.rep.Head.Fingerprint
	if len(v.trust.Keys)+len(v.trust.Fingerprints) > 0 {
		want := slices.Clone(v.trust.Fingerprints)
		for _, k := range v.trust.Keys {
			want = append(want, integrity.Fingerprint(k))
		}
		if !slices.Contains(want, fp) {
			v.fail(CheckTrust, CheckpointFile, nil, "the tree head is signed by a key that is not the trusted key", strings.Join(want, " or "), fp)
			return
		}
		if len(v.trust.Keys) > 0 {
			if _, err := integrity.ParseHead(v.b.Checkpoint, v.b.Manifest.Origin, integrity.TrustedKeys(v.trust.Keys...)); err != nil {
				v.fail(CheckTrust, CheckpointFile, nil, "the checkpoint does not verify with the trusted key: "+err.Error(), "", "")
				return
			}
		}
		v.rep.Trust, v.rep.TrustDetail = TrustKey, "the tree head is signed by the trusted key "+fp
	}
	if len(v.trust.Head) > 0 {
		th, err := integrity.ParseHead(v.trust.Head, "", v.keys)
		if err != nil {
			v.fail(CheckTrust, "--trusted-head", nil, "the trusted head does not verify with the bundle's keys: "+err.Error()+" (it is from another ledger, or the bundle's key was replaced)", "", "")
			return
		}
		h := v.head
		switch {
		case th.KeyID != h.KeyID:
			v.fail(CheckTrust, CheckpointFile, nil, "the tree head is signed by another key than the trusted head", th.KeyID, h.KeyID)
			return
		case th.Origin != h.Origin:
			v.fail(CheckTrust, CheckpointFile, nil, "the tree head is of another ledger than the trusted head", th.Origin, h.Origin)
			return
		case h.Size < th.Size:
			v.fail(CheckTrust, CheckpointFile, nil, "the tree head is older than the trusted head: export the bundle again", fmt.Sprintf("size %d or more", th.Size), fmt.Sprintf("size %d", h.Size))
			return
		case h.Size == th.Size && !bytes.Equal(h.Root, th.Root):
			v.fail(CheckTrust, CheckpointFile, nil, "the tree head has the trusted head's size but another root: the ledger's history forked", th.RootBase64(), h.RootBase64())
			return
		case h.Size == th.Size:
			v.rep.Trust, v.rep.TrustDetail = TrustHead, fmt.Sprintf("the tree head is the trusted head (size %d, key %s, %s)", th.Size, th.KeyID, fp)
		default:
			v.rep.Trust, v.rep.TrustDetail = TrustHead, fmt.Sprintf("the tree head (size %d) is newer than the trusted head (size %d) and signed by the same key %s (%s); that it extends the trusted head is not proven offline: ask the ledger for GET /v1/audit/consistency?from=%d&to=%d",
				h.Size, th.Size, th.KeyID, fp, th.Size, h.Size)
		}
	}
	// With an anchor, events the head does not cover must be signed by the
	// anchored key itself: keys.json alone proves nothing.
	for _, rec := range v.recs {
		if !slices.Contains(v.b.Manifest.UnsealedRevisions, rec.Revision) {
			continue
		}
		_, s := codec.SplitSig(rec.Metadata)
		if sig, err := codec.ParseSig(s); err == nil && sig.KeyID != v.head.KeyID {
			_, meta := EventFile(rec.Revision)
			v.fail(CheckTrust, meta, revp(rec.Revision), "an event the tree head does not cover is signed by a key that is not the trusted one", v.head.KeyID, sig.KeyID)
		}
	}
}

// checkSLA compares the verdict and the policy targets with the signed
// events.
