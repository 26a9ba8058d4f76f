package crypto

import (
	"crypto/rand"
	"math/big"
	"strings"
)

// Designations are "adjective noun" names reviewers use for a source
// ("amber heron"). The words are neutral on purpose: nature, colour,
// weather and landscape; nothing that describes a person's body, origin,
// age or belief, so no combination reads as an insult or a hint about the
// reporter. They carry no information: both words are drawn with
// crypto/rand. There are len(designationAdjectives)*len(designationNouns)
// combinations (about 70,000); the caller makes a designation unique in
// its instance by retrying on a collision.

// NewDesignation returns a random "adjective noun".
func NewDesignation() (string, error) {
	a, err := pick(designationAdjectives)
	if err != nil {
		return "", err
	}
	n, err := pick(designationNouns)
	if err != nil {
		return "", err
	}
	return a + " " + n, nil
}

func pick(words []string) (string, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(len(words))))
	if err != nil {
		return "", errorf("unable to draw designation: %w", err)
	}
	return words[i.Int64()], nil
}

var designationAdjectives = strings.Fields(`
	able absolute abundant agile airy alpine amber ample ancient angular aqua arctic
	aromatic astral atomic autumn avid azure balmy bold boreal bouncy brass breezy
	brief bright brisk bronze bubbly buoyant calm candid careful cedar central certain
	cheerful chilly circular civic classic clean clear clever cloudy coastal cobalt cold
	compact composed constant cool copper coral cosmic cozy crimson crisp crystal curious
	curved daily dapper dawn deep deft dense diligent direct distant double downy
	drifting dry dusty eager early eastern easy electric elegant emerald endless even
	evening exact fair faithful famous far fast fern fervent festive fine firm
	first flat fleet floral fluent focused foggy formal frank free fresh frosty
	frugal full gentle gilded glad glassy gleaming global golden graceful grand granite
	grassy gravel green hardy harmonic hazel hidden high hollow honest hopeful humble
	icy ideal indigo inland jade jolly just keen kind lake lasting late
	lavender leafy level light lilac limber linen lively local lofty long loyal
	lucid lunar lush magnetic maple marble marine mellow merry middle mighty mild
	minted misty modern modest molten mossy musical narrow natural near neat nimble
	noble northern novel oaken ocean olive open orbit orchid outer patient peaceful
	pearl pebble placid plain pleasant plucky polar polished prairie precise prime proud
	pure quick quiet radiant rainy rapid rare ready regal rising river robust
	rocky rosy round royal rustic sage salty sandy sapphire scarlet serene shady
	sharp shining silent silken silver simple sincere slate sleek slow smooth snowy
	soft solar solid sonic southern sparkling spring square stable starry steady steel
	still stony summer sunny sure swift teal tender thorough tidal tidy timber
	topaz tranquil tropical true twilight upland upper urban valiant velvet verdant vernal
	violet vivid warm wavy western wild willow windy winter wise wooden woolly
	zesty zonal
`)

var designationNouns = strings.Fields(`
	acorn agate albatross alder almanac anchor anvil apricot arbor arch archer atlas
	aurora avenue badger bamboo banner barley basin beacon beech bell birch bison
	blossom bluff boulder bramble breeze bridge brook buckle bugle butte cabin cactus
	canal candle canopy canyon cape caravan cardinal cascade castle cedar chalk cherry
	chestnut cinder citadel clover cobble comet compass condor coral cove crane crater
	creek crest cricket crow crystal current cypress dahlia delta dew dolphin dove
	dune eagle easel echo eclipse elm ember falcon fawn feather fern ferry
	fiddle field fig finch fir fjord flame flint forest fountain fox galaxy
	garden garnet geyser glacier glade globe gorge granite grove harbor harp harvest
	hawk hazel heath heron hill horizon iris island ivy jasmine jetty juniper
	kayak kestrel kettle keystone kite lagoon lantana lantern larch lark laurel ledge
	lemon lighthouse lily linden lotus lynx magnet mallard maple marsh meadow mesa
	meteor mill mint mist moon moss mountain nebula nectar nutmeg oak oasis
	ocean orbit orchard osprey otter owl palm panda pass pasture peak pearl
	pebble pelican pepper petal pier pine pinecone planet plateau plaza plover pond
	poplar prairie prism quail quarry quartz quill rainbow raven reed reef ridge
	river robin rowan saddle saffron sail salmon sapling satchel savanna sequoia shore
	sierra signal snowflake sparrow spire spring spruce star starling stone stream summit
	sundial swallow swan sycamore tangerine teacup tern thicket thistle thrush thunder tide
	timber topaz torch tower trail tulip tundra valley vine violet volcano walnut
	warbler waterfall wave willow window wren yarrow zenith zephyr
`)
