// rerf returns erf(x): Go's math.Erf (a port of FreeBSD's s_erf.c, from
// fdlibm 5.3), the same branches (but the one below 2^-28 for
// subnormal x, which would flush anyway), polynomials and constants (set from
// their bit patterns with REAL_IS_DOUBLE, as fp64math.glsl's are), so that
// gelu's kernels agree with the CPU reference, which calls math.Erf. In
// float the constants round to float and the result is within a few
// float ulps. GLSL has no erf in any precision. Needs rexp (fp64math.glsl).

#ifdef REAL_IS_DOUBLE
#define ERF_C(hi, lo, f) fdlD(hi, lo)
#else
#define ERF_C(hi, lo, f) float(f)
#endif
#define ERF_ERX ERF_C(0x3feb0ac1u, 0x60000000u, 0.8450629115104675)
#define ERF_EFX ERF_C(0x3fc06ebau, 0x8214db69u, 0.1283791670955126)
#define ERF_EFX8 ERF_C(0x3ff06ebau, 0x8214db69u, 1.0270333367641007)
#define ERF_PP0 ERF_C(0x3fc06ebau, 0x8214db68u, 0.12837916709551256)
#define ERF_PP1 ERF_C(0xbfd4cd7du, 0x691cb913u, -0.3250421072470015)
#define ERF_PP2 ERF_C(0xbf9d2a51u, 0xdbd7194fu, -0.02848174957559851)
#define ERF_035 ERF_C(0x3fd66666u, 0x66666666u, 0.35)
#define ERF_PP3 ERF_C(0xbf77a291u, 0x236668e4u, -0.005770270296489442)
#define ERF_PP4 ERF_C(0xbef8ead6u, 0x120016acu, -2.3763016656650163e-05)
#define ERF_QQ1 ERF_C(0x3fd97779u, 0xcddadc09u, 0.39791722395915535)
#define ERF_QQ2 ERF_C(0x3fb0a54cu, 0x5536cebau, 0.0650222499887673)
#define ERF_QQ3 ERF_C(0x3f74d022u, 0xc4d36b0fu, 0.005081306281875766)
#define ERF_QQ4 ERF_C(0x3f215dc9u, 0x221c1a10u, 0.00013249473800432164)
#define ERF_QQ5 ERF_C(0xbed09c43u, 0x42a26120u, -3.960228278775368e-06)
#define ERF_PA0 ERF_C(0xbf6359b8u, 0xbef77538u, -0.0023621185607526594)
#define ERF_PA1 ERF_C(0x3fda8d00u, 0xad92b34du, 0.41485611868374833)
#define ERF_PA2 ERF_C(0xbfd7d240u, 0xfbb8c3f1u, -0.3722078760357013)
#define ERF_PA3 ERF_C(0x3fd45fcau, 0x805120e4u, 0.31834661990116175)
#define ERF_PA4 ERF_C(0xbfbc6398u, 0x3d3e28ecu, -0.11089469428239668)
#define ERF_PA5 ERF_C(0x3fa22a36u, 0x599795ebu, 0.035478304325618236)
#define ERF_PA6 ERF_C(0xbf61bf38u, 0x0a96073fu, -0.002166375594868791)
#define ERF_QA1 ERF_C(0x3fbb3e66u, 0x18eee323u, 0.10642088040084423)
#define ERF_QA2 ERF_C(0x3fe14af0u, 0x92eb6f33u, 0.540397917702171)
#define ERF_QA3 ERF_C(0x3fb2635cu, 0xd99fe9a7u, 0.07182865441419627)
#define ERF_QA4 ERF_C(0x3fc02660u, 0xe763351fu, 0.12617121980876164)
#define ERF_QA5 ERF_C(0x3f8bedc2u, 0x6b51dd1cu, 0.01363708391202905)
#define ERF_QA6 ERF_C(0x3f888b54u, 0x5735151du, 0.011984499846799107)
#define ERF_RA0 ERF_C(0xbf843412u, 0x600d6435u, -0.009864944034847148)
#define ERF_RA1 ERF_C(0xbfe63416u, 0xe4ba7360u, -0.6938585727071818)
#define ERF_RA2 ERF_C(0xc0251e04u, 0x41b0e726u, -10.558626225323291)
#define ERF_RA3 ERF_C(0xc04f300au, 0xe4cba38du, -62.375332450326006)
#define ERF_RA4 ERF_C(0xc0644cb1u, 0x84282266u, -162.39666946257347)
#define ERF_RA5 ERF_C(0xc067135cu, 0xebccabb2u, -184.60509290671104)
#define ERF_RA6 ERF_C(0xc0545265u, 0x57e4d2f2u, -81.2874355063066)
#define ERF_RA7 ERF_C(0xc023a0efu, 0xc69ac25cu, -9.814329344169145)
#define ERF_SA1 ERF_C(0x4033a6b9u, 0xbd707687u, 19.651271667439257)
#define ERF_SA2 ERF_C(0x4061350cu, 0x526ae721u, 137.65775414351904)
#define ERF_SA3 ERF_C(0x407b290du, 0xd58a1a71u, 434.56587747522923)
#define ERF_SA4 ERF_C(0x40842b19u, 0x21ec2868u, 645.3872717332679)
#define ERF_SA5 ERF_C(0x407ad021u, 0x57700314u, 429.00814002756783)
#define ERF_SA6 ERF_C(0x405b28a3u, 0xee48ae2cu, 108.63500554177944)
#define ERF_SA7 ERF_C(0x401a47efu, 0x8e484a93u, 6.570249770319282)
#define ERF_SA8 ERF_C(0xbfaeeff2u, 0xee749a62u, -0.0604244152148581)
#define ERF_RB0 ERF_C(0xbf843412u, 0x39e86f4au, -0.0098649429247001)
#define ERF_RB1 ERF_C(0xbfe993bau, 0x70c285deu, -0.799283237680523)
#define ERF_RB2 ERF_C(0xc031c209u, 0x555f995au, -17.757954917754752)
#define ERF_RB3 ERF_C(0xc064145du, 0x43c5ed98u, -160.63638485582192)
#define ERF_RB4 ERF_C(0xc083ec88u, 0x1375f228u, -637.5664433683896)
#define ERF_RB5 ERF_C(0xc0900461u, 0x6a2e5992u, -1025.0951316110772)
#define ERF_RB6 ERF_C(0xc07e384eu, 0x9bdc383fu, -483.5191916086514)
#define ERF_SB1 ERF_C(0x403e568bu, 0x261d5190u, 30.33806074348246)
#define ERF_SB2 ERF_C(0x40745caeu, 0x221b9f0au, 325.7925129965739)
#define ERF_SB3 ERF_C(0x409802ebu, 0x189d5118u, 1536.729586084437)
#define ERF_SB4 ERF_C(0x40a8ffb7u, 0x688c246au, 3199.8582195085955)
#define ERF_SB5 ERF_C(0x40a3f219u, 0xcedf3be6u, 2553.0504064331644)
#define ERF_SB6 ERF_C(0x407da874u, 0xe79fe763u, 474.52854120695537)
#define ERF_SB7 ERF_C(0xc03670e2u, 0x42712d62u, -22.44095244658582)

real rerf(real x) {
	if (x != x) {
		return x;
	}
	bool neg = x < real(0);
	x = abs(x);
	if (x < real(0.84375)) {
		real temp;
		if (x < real(1.0 / 268435456.0)) { // 2^-28
			temp = x + ERF_EFX * x;
		} else {
			precise real z = x * x;
			precise real r = ERF_PP0 + z*(ERF_PP1+z*(ERF_PP2+z*(ERF_PP3+z*ERF_PP4)));
			precise real s = real(1) + z*(ERF_QQ1+z*(ERF_QQ2+z*(ERF_QQ3+z*(ERF_QQ4+z*ERF_QQ5))));
			precise real y = r / s;
			temp = x + x * y;
		}
		return neg ? -temp : temp;
	}
	if (x < real(1.25)) {
		precise real s = x - real(1);
		precise real P = ERF_PA0 + s*(ERF_PA1+s*(ERF_PA2+s*(ERF_PA3+s*(ERF_PA4+s*(ERF_PA5+s*ERF_PA6)))));
		precise real Q = real(1) + s*(ERF_QA1+s*(ERF_QA2+s*(ERF_QA3+s*(ERF_QA4+s*(ERF_QA5+s*ERF_QA6)))));
		return neg ? -ERF_ERX - P / Q : ERF_ERX + P / Q;
	}
	if (x >= real(6)) { // +Inf too
		return neg ? real(-1) : real(1);
	}
	precise real s = real(1) / (x * x);
	precise real R, S;
	if (x < real(1) / ERF_035) { // 0.35 from its double bits: Go's 1/0.35
		R = ERF_RA0 + s*(ERF_RA1+s*(ERF_RA2+s*(ERF_RA3+s*(ERF_RA4+s*(ERF_RA5+s*(ERF_RA6+s*ERF_RA7))))));
		S = real(1) + s*(ERF_SA1+s*(ERF_SA2+s*(ERF_SA3+s*(ERF_SA4+s*(ERF_SA5+s*(ERF_SA6+s*(ERF_SA7+s*ERF_SA8)))))));
	} else {
		R = ERF_RB0 + s*(ERF_RB1+s*(ERF_RB2+s*(ERF_RB3+s*(ERF_RB4+s*(ERF_RB5+s*ERF_RB6)))));
		S = real(1) + s*(ERF_SB1+s*(ERF_SB2+s*(ERF_SB3+s*(ERF_SB4+s*(ERF_SB5+s*(ERF_SB6+s*ERF_SB7))))));
	}
	// z is x with its low 32 bits cleared (pseudo-single precision), as Go's
#ifdef REAL_IS_DOUBLE
	precise double z = packDouble2x32(uvec2(0u, unpackDouble2x32(x).y));
#else
	precise float z = uintBitsToFloat(floatBitsToUint(x) & 0xffffe000u);
#endif
	precise real r = rexp(-z * z - real(0.5625)) * rexp((z - x) * (z + x) + R / S);
	return neg ? r / x - real(1) : real(1) - r / x;
}
