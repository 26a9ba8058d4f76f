package crypto

// STUBS: the crypto helper replaces this file with keys.go, encrypt.go,
// decrypt.go, codename.go, source_identity.go, sign.go, designation.go.

import "io"

type publicKey struct{}
type privateKey struct{}

func GenerateSubmissionKey(name string, p Profile) (*PrivateKey, error)   { panic("unimplemented") }
func ParsePublicKey(data []byte) (*PublicKey, error)                      { panic("unimplemented") }
func ParsePrivateKey(data, passphrase []byte) (*PrivateKey, error)        { panic("unimplemented") }
func Encrypt(dst io.Writer, to ...*PublicKey) (io.WriteCloser, error)     { panic("unimplemented") }
func DecryptTo(dst io.Writer, src io.Reader, keys ...*PrivateKey) error   { panic("unimplemented") }
func DecryptBytes(ciphertext []byte, keys ...*PrivateKey) ([]byte, error) { panic("unimplemented") }
func EncryptBytes(plaintext []byte, to ...*PublicKey) ([]byte, error)     { panic("unimplemented") }
func NewCodename() (string, error)                                        { panic("unimplemented") }
func NormalizeCodename(s string) (string, error)                          { panic("unimplemented") }
func DeriveSource(codename string, pepper []byte, p KDFParams) (*SourceIdentity, error) {
	panic("unimplemented")
}
func GenerateSigningKey() (*SigningKey, error)      { panic("unimplemented") }
func ParseSigningKey(b []byte) (*SigningKey, error) { panic("unimplemented") }
func ParseVerifyKey(s string) (VerifyKey, error)    { panic("unimplemented") }
func NewDesignation() (string, error)               { panic("unimplemented") }

func (k *PublicKey) Fingerprint() string                               { panic("unimplemented") }
func (k *PublicKey) Armored() string                                   { panic("unimplemented") }
func (k *PublicKey) Bytes() []byte                                     { panic("unimplemented") }
func (k *PrivateKey) Public() *PublicKey                               { panic("unimplemented") }
func (k *PrivateKey) Fingerprint() string                              { panic("unimplemented") }
func (k *PrivateKey) String() string                                   { panic("unimplemented") }
func (k *PrivateKey) MarshalArmored(passphrase []byte) ([]byte, error) { panic("unimplemented") }
func (s *SourceIdentity) PublicKey() *PublicKey                        { panic("unimplemented") }
func (s *SourceIdentity) PrivateKey() *PrivateKey                      { panic("unimplemented") }
func (k *SigningKey) Sign(msg []byte) []byte                           { panic("unimplemented") }
func (k *SigningKey) Public() VerifyKey                                { panic("unimplemented") }
func (k *SigningKey) Marshal() []byte                                  { panic("unimplemented") }
func (k *SigningKey) String() string                                   { panic("unimplemented") }
func (k VerifyKey) Verify(msg, sig []byte) error                       { panic("unimplemented") }
func (k VerifyKey) String() string                                     { panic("unimplemented") }
func (k VerifyKey) Fingerprint() string                                { panic("unimplemented") }
func (k VerifyKey) Equal(o VerifyKey) bool                             { panic("unimplemented") }
