package store

// STUBS: the store helper replaces this file with the implementation.

import (
	"context"
	"io"
)

type Store struct{}

func Open(dir string, o Options) (*Store, error)                            { panic("unimplemented") }
func (s *Store) Close() error                                               { panic("unimplemented") }
func (s *Store) Setting(ctx context.Context, key string) ([]byte, error)    { panic("unimplemented") }
func (s *Store) SetSetting(ctx context.Context, key string, v []byte) error { panic("unimplemented") }
func (s *Store) Settings(ctx context.Context) (Settings, error)             { panic("unimplemented") }
func (s *Store) SaveSettings(ctx context.Context, st Settings) error        { panic("unimplemented") }
func (s *Store) AddSubmissionKey(ctx context.Context, fpr string, pub []byte) error {
	panic("unimplemented")
}
func (s *Store) SubmissionKeys(ctx context.Context, activeOnly bool) ([]SubmissionKey, error) {
	panic("unimplemented")
}
func (s *Store) RetireSubmissionKey(ctx context.Context, fpr string) error { panic("unimplemented") }
func (s *Store) CreateSource(ctx context.Context, lookupID string, pub []byte, designation string) (*Source, error) {
	panic("unimplemented")
}
func (s *Store) SourceByLookupID(ctx context.Context, lookupID string) (*Source, error) {
	panic("unimplemented")
}
func (s *Store) Source(ctx context.Context, id string) (*Source, error) { panic("unimplemented") }
func (s *Store) SourceByDesignation(ctx context.Context, d string) (*Source, error) {
	panic("unimplemented")
}
func (s *Store) Sources(ctx context.Context) ([]Source, error)           { panic("unimplemented") }
func (s *Store) TouchSource(ctx context.Context, id string) error        { panic("unimplemented") }
func (s *Store) SetStarred(ctx context.Context, id string, v bool) error { panic("unimplemented") }
func (s *Store) SetStatus(ctx context.Context, id, status string, note []byte) error {
	panic("unimplemented")
}
func (s *Store) DeleteSource(ctx context.Context, id string) error { panic("unimplemented") }
func (s *Store) SourcesInactiveSince(ctx context.Context, day string) ([]string, error) {
	panic("unimplemented")
}
func (s *Store) AddItem(ctx context.Context, n NewItem, write func(io.Writer) error) (*Item, error) {
	panic("unimplemented")
}
func (s *Store) Item(ctx context.Context, id string) (*Item, error) { panic("unimplemented") }
func (s *Store) OpenItem(ctx context.Context, id string) (io.ReadCloser, *Item, error) {
	panic("unimplemented")
}
func (s *Store) Items(ctx context.Context, sourceID string) ([]Item, error) { panic("unimplemented") }
func (s *Store) UnexportedItems(ctx context.Context) ([]Item, error)        { panic("unimplemented") }
func (s *Store) MarkExported(ctx context.Context, ids []string) error       { panic("unimplemented") }
func (s *Store) DeleteItem(ctx context.Context, id string) error            { panic("unimplemented") }
func (s *Store) DeleteSourceItems(ctx context.Context, id string) error     { panic("unimplemented") }
