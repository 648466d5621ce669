// sif-sign: the independent side of the signature tests. It signs and verifies SIF images
// with sylabs/sif's integrity package (what Apptainer uses), so the TypeScript reader and
// signer are checked against the reference library rather than against themselves.
//
//	sif-sign sign KEY.asc IMAGE          adds one signature per object group, in place
//	sif-sign verify IMAGE KEY.asc...     checks the current (non-legacy) signatures
//	sif-sign verify-legacy IMAGE KEY...  checks legacy group signatures
//	sif-sign add IMAGE GROUP SIZE        appends SIZE bytes as a new object, in place: an
//	                                     overlay partition in object group GROUP, or a
//	                                     generic object in no group when GROUP is 0
//
// A passphrase for an encrypted key comes from SIF_SIGN_PASSPHRASE. Verification prints one
// line per signature, "ok <fingerprint>" or "fail <reason>", and exits 1 when any failed.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/sylabs/sif/v2/pkg/integrity"
	"github.com/sylabs/sif/v2/pkg/sif"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: sif-sign sign KEY IMAGE | verify IMAGE KEY... | verify-legacy IMAGE KEY... | add IMAGE GROUP SIZE")
	}
	var err error
	switch os.Args[1] {
	case "sign":
		err = sign(os.Args[2], os.Args[3])
	case "verify":
		err = verify(os.Args[2], os.Args[3:], false)
	case "verify-legacy":
		err = verify(os.Args[2], os.Args[3:], true)
	case "add":
		if len(os.Args) != 5 {
			fail("usage: sif-sign add IMAGE GROUP SIZE")
		}
		err = add(os.Args[2], os.Args[3], os.Args[4])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}

func readKeys(paths []string) (openpgp.EntityList, error) {
	var all openpgp.EntityList
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		el, err := openpgp.ReadArmoredKeyRing(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		all = append(all, el...)
	}
	return all, nil
}

func sign(keyPath, image string) error {
	keys, err := readKeys([]string{keyPath})
	if err != nil {
		return err
	}
	e := keys[0]
	if e.PrivateKey == nil {
		return fmt.Errorf("%s holds no private key", keyPath)
	}
	if e.PrivateKey.Encrypted {
		if err := e.PrivateKey.Decrypt([]byte(os.Getenv("SIF_SIGN_PASSPHRASE"))); err != nil {
			return fmt.Errorf("decrypting the key: %w", err)
		}
	}
	f, err := sif.LoadContainerFromPath(image)
	if err != nil {
		return err
	}
	defer f.UnloadContainer()
	s, err := integrity.NewSigner(f, integrity.OptSignWithEntity(e))
	if err != nil {
		return err
	}
	return s.Sign()
}

func verify(image string, keyPaths []string, legacy bool) error {
	keys, err := readKeys(keyPaths)
	if err != nil {
		return err
	}
	f, err := sif.LoadContainerFromPath(image, sif.OptLoadWithFlag(os.O_RDONLY))
	if err != nil {
		return err
	}
	defer f.UnloadContainer()
	failed := false
	opts := []integrity.VerifierOpt{
		integrity.OptVerifyWithKeyRing(keys),
		integrity.OptVerifyCallback(func(r integrity.VerifyResult) bool {
			if r.Error() != nil {
				failed = true
				fmt.Printf("fail %s\n", strings.ReplaceAll(r.Error().Error(), "\n", " "))
				return true
			}
			fmt.Printf("ok %X\n", r.Entity().PrimaryKey.Fingerprint)
			return false
		}),
	}
	if legacy {
		opts = append(opts, integrity.OptVerifyLegacy())
	}
	v, err := integrity.NewVerifier(f, opts...)
	if err != nil {
		return err
	}
	if err := v.Verify(); err != nil {
		return err
	}
	if failed {
		os.Exit(1)
	}
	return nil
}

func add(image, groupText, sizeText string) error {
	group, err := strconv.ParseUint(groupText, 10, 32)
	if err != nil {
		return err
	}
	size, err := strconv.Atoi(sizeText)
	if err != nil {
		return err
	}
	f, err := sif.LoadContainerFromPath(image)
	if err != nil {
		return err
	}
	defer f.UnloadContainer()
	data := bytes.NewReader(bytes.Repeat([]byte{0x5a}, size))
	var di sif.DescriptorInput
	if group == 0 {
		di, err = sif.NewDescriptorInput(sif.DataGeneric, data, sif.OptNoGroup())
	} else {
		di, err = sif.NewDescriptorInput(sif.DataPartition, data, sif.OptGroupID(uint32(group)), sif.OptPartitionMetadata(sif.FsRaw, sif.PartOverlay, "amd64"))
	}
	if err != nil {
		return err
	}
	return f.AddObject(di)
}
