package labfile

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// sizeRE is a size as Multipass reads one: a whole or decimal number, then
// K, M or G, then optionally B or iB, in any case.
var sizeRE = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?([kKmMgG])(?:[iI]?[bB])?$`)

// sizeUnits is what a size message lists as allowed.
const sizeUnits = `K, M or G, optionally followed by B or iB (all binary: 1G = 1024M), ` +
	`e.g. "4GiB", "512MiB", "1G" or "1024M"`

// ParseSize reads a size such as "4GiB", "512MiB", "1G", "1024M" or
// "1.5G" and returns it in MiB. Units are binary whatever their spelling, as
// Multipass reads them. A bare number is an error, and so is a size that is
// not a whole number of MiB.
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		if _, ok := new(big.Float).SetString(s); ok {
			return 0, fmt.Errorf("%q has no unit; add %s", s, sizeUnits)
		}
		return 0, fmt.Errorf("%q is not a size; write a number and %s", s, sizeUnits)
	}
	if len(m[1])+len(m[2]) > 15 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	// Work in KiB scaled by 10^decimals so fractions stay exact.
	num, _ := new(big.Int).SetString(m[1]+m[2], 10)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(m[2]))), nil)
	kib := map[string]int64{"k": 1, "m": 1024, "g": 1024 * 1024}[strings.ToLower(m[3])]
	num.Mul(num, big.NewInt(kib))
	mib, rem := new(big.Int).QuoRem(num, new(big.Int).Mul(scale, big.NewInt(1024)),
		new(big.Int))
	if rem.Sign() != 0 {
		return 0, fmt.Errorf("%q is not a whole number of MiB", s)
	}
	if mib.Sign() == 0 {
		return 0, fmt.Errorf("%q is zero; a size must be more than zero", s)
	}
	return mib.Int64(), nil
}
